"""The web service: shared dashboard, JSON API and access control (``cnsmm serve``).

It runs over the same store as the CLI; its own tables (users, memberships, tokens,
sessions, assessments, jobs) live beside the findings tables with their own migrations.
"""
