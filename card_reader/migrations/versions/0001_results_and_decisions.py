"""Runs, results (one per card, input and versions) and staff decisions.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("templates_version", sa.String(64), nullable=False),
        sa.Column("engine_version", sa.Text, nullable=False),
        sa.Column("cards_read", sa.Integer, nullable=False),
        sa.Column("cards_skipped", sa.Integer, nullable=False),
    )
    op.create_table(
        "results",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("card_id", sa.String(255), nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("input_fingerprint", sa.String(64), nullable=False),
        sa.Column("templates_version", sa.String(64), nullable=False),
        sa.Column("engine_version", sa.Text, nullable=False),
        sa.Column("error_code", sa.String(64)),
        sa.Column("payer_id", sa.String(64)),
        sa.Column("member_id", sa.String(64)),
        sa.Column("group_number", sa.String(64)),
        sa.Column("needs_review", sa.Boolean, nullable=False),
        sa.Column("severity", sa.Integer, nullable=False),
        sa.Column("outcome_json", sa.Text, nullable=False),
        sa.UniqueConstraint("card_id", "input_fingerprint", "templates_version", "engine_version",
                            name="uq_results_card_input_versions"),
    )
    op.create_index("ix_results_card_id", "results", ["card_id"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("result_id", sa.Integer, sa.ForeignKey("results.id"), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(255), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("corrections_json", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
    )
    op.create_index("ix_decisions_result_id", "decisions", ["result_id"])


def downgrade() -> None:
    op.drop_table("decisions")
    op.drop_table("results")
    op.drop_table("runs")
