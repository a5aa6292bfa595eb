"""Accounts of the service: local users, project roles, API tokens, browser sessions, logins.

Usable without the web application (``cnsmm user create`` and ``cnsmm token ...`` call it
directly). Public API:

- :func:`open_service_store` (the findings store plus the service tables),
- :func:`create_user`, :func:`set_membership`, :func:`list_users`, :func:`project_members`,
- :func:`create_token`, :func:`list_tokens`, :func:`revoke_token`, :func:`token_principal`,
- :func:`login`, :func:`logout`, :func:`session_principal`; :class:`Principal`, :class:`Role`.
"""

from cnsmm.accounts.service import (
    Principal,
    Role,
    create_token,
    create_user,
    list_tokens,
    list_users,
    login,
    logout,
    project_members,
    revoke_token,
    session_principal,
    set_membership,
    token_principal,
)
from cnsmm.accounts.store import open_service_store
from cnsmm.errors import AuthError

__all__ = [
    "AuthError",
    "Principal",
    "Role",
    "create_token",
    "create_user",
    "list_tokens",
    "list_users",
    "login",
    "logout",
    "open_service_store",
    "project_members",
    "revoke_token",
    "session_principal",
    "set_membership",
    "token_principal",
]
