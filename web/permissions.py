"""Who may use which route: declared here, in one place, and enforced on every request.

Each route of the app has a name; ``ALLOWED[name]`` is the set of roles (and
``ANONYMOUS`` for someone not signed in) that may use it. A route that is not
declared here cannot be registered (``web.routing.route`` refuses it), and
``tests/web/test_permissions.py`` walks every route with every role.
"""

from __future__ import annotations

from vault.identity.roles import Role

ANONYMOUS = "anonymous"
MEMBER, SECRETARY, AUDITOR, ADMIN = (str(r) for r in Role)
SIGNED_IN = frozenset({MEMBER, SECRETARY, AUDITOR, ADMIN})
EVERYONE = SIGNED_IN | {ANONYMOUS}

ALLOWED: dict[str, frozenset[str]] = {
    # Public pages and the ways in.
    "home": EVERYONE,
    "health": EVERYONE,
    "language": EVERYONE,
    "login_page": EVERYONE,
    "prelogin": EVERYONE,
    "login": EVERYONE,
    "enrolment_page": EVERYONE,
    "enrol": EVERYONE,
    "enrol_authenticator": EVERYONE,
    "enrolment_old_link": EVERYONE,
    "recover_page": EVERYONE,
    "recover_start": EVERYONE,
    "recover_finish": EVERYONE,
    # Every signed-in account: its own credentials and sessions.
    "logout": SIGNED_IN,
    "account": SIGNED_IN,
    "account_keys": SIGNED_IN,
    "session_revoke": SIGNED_IN,
    "password_change": SIGNED_IN,
    "totp_page": SIGNED_IN,
    "totp_start": SIGNED_IN,
    "totp_confirm": SIGNED_IN,
    "backup_codes": SIGNED_IN,
    # A notification's link: "opened" when its recipient follows it (signed in).
    "notification_open": SIGNED_IN,
    # The people notifications reach: their own contact details and channels.
    "contact_code": frozenset({MEMBER, SECRETARY}),
    "contact_verify": frozenset({MEMBER, SECRETARY}),
    "contact_remove": frozenset({MEMBER, SECRETARY}),
    "contact_channels": frozenset({MEMBER, SECRETARY}),
    "digest_change": frozenset({MEMBER}),
    # Client practice members.
    "inbox": frozenset({MEMBER}),
    "inbox_envelopes": frozenset({MEMBER}),
    "inbox_search": frozenset({MEMBER}),
    "inbox_urgent": frozenset({MEMBER}),
    "practice_members": frozenset({MEMBER}),
    "practice_invite": frozenset({MEMBER}),
    "practice_grant": frozenset({MEMBER}),
    "practice_waiting": frozenset({MEMBER}),
    "practice_requests_page": frozenset({MEMBER}),
    "instructions_editor": frozenset({MEMBER}),
    "agenda_page": frozenset({MEMBER}),
    "ladder_read": frozenset({MEMBER}),
    "ladder_write": frozenset({MEMBER}),
    "ladder_page": frozenset({MEMBER}),
    "records_page": frozenset({MEMBER}),
    # Secretaries.
    "workspace": frozenset({SECRETARY}),
    "my_deposits": frozenset({SECRETARY}),
    "requests_page": frozenset({SECRETARY}),
    "desk": frozenset({SECRETARY}),
    # Items (docs/items.md). Every route that takes an id is open to both roles that deal
    # with items, and vault/ answers 404 (audited) for any id the account may not reach:
    # a 403 from the role check would tell nothing, but one answer for all is simpler to prove.
    "practice_access": frozenset({MEMBER}),
    "deposit_page": frozenset({MEMBER, SECRETARY}),
    "item_deposit": frozenset({MEMBER, SECRETARY}),
    "upload_start": frozenset({MEMBER, SECRETARY}),
    "upload_status": frozenset({MEMBER, SECRETARY}),
    "upload_part": frozenset({MEMBER, SECRETARY}),
    "item_page": frozenset({MEMBER, SECRETARY}),
    "item_envelope": frozenset({MEMBER, SECRETARY}),
    "item_file": frozenset({MEMBER, SECRETARY}),
    "item_status": frozenset({MEMBER, SECRETARY}),
    # The team key and team documents (docs/format.md §10): open to both roles of a
    # practice's team; vault/ answers an audited 404 to anyone outside it, and 403 to a
    # secretary for what only members write.
    "team_state": frozenset({MEMBER, SECRETARY}),
    "team_version_create": frozenset({MEMBER, SECRETARY}),
    "team_recipients_add": frozenset({MEMBER, SECRETARY}),
    "document_list": frozenset({MEMBER, SECRETARY}),
    "document_read": frozenset({MEMBER, SECRETARY}),
    "document_write": frozenset({MEMBER, SECRETARY}),
    "item_status_undo": frozenset({MEMBER, SECRETARY}),
    # Requests and replies (docs/items.md): open to both roles, vault/ answers 404 (audited)
    # for ids the account may not reach, 403 for the wrong role within the practice.
    "deposit_label": frozenset({MEMBER, SECRETARY}),
    "practice_requests": frozenset({MEMBER, SECRETARY}),
    "request_take": frozenset({MEMBER, SECRETARY}),
    "request_done": frozenset({MEMBER, SECRETARY}),
    "request_replies": frozenset({MEMBER, SECRETARY}),
    "item_replies": frozenset({MEMBER, SECRETARY}),
    # Appointments (docs/items.md): as requests, 404 outside the team, 403 for the wrong role.
    "practice_appointments": frozenset({MEMBER, SECRETARY}),
    "appointment_decide": frozenset({MEMBER, SECRETARY}),
    # Order forms (docs/items.md "Orders"): the pages by role; the state routes open to both
    # roles, vault/ answering 404 (audited) for an item one may not reach, 403 for the wrong
    # role within the practice.
    "order_new_page": frozenset({SECRETARY}),
    "practice_orders": frozenset({MEMBER}),
    "order_page": frozenset({MEMBER}),
    "order_state": frozenset({MEMBER, SECRETARY}),
    "order_approve": frozenset({MEMBER, SECRETARY}),
    "order_delivered": frozenset({MEMBER, SECRETARY}),
    # Auditors.
    "audit_console": frozenset({AUDITOR}),
    "audit_entry": frozenset({AUDITOR}),
    "audit_entry_proof": frozenset({AUDITOR}),
    "audit_checkpoint_note": frozenset({AUDITOR}),
    "audit_verify": frozenset({AUDITOR}),
    "audit_verify_status": frozenset({AUDITOR}),
    "audit_export": frozenset({AUDITOR}),
    "audit_export_download": frozenset({AUDITOR}),
    "audit_cosign": frozenset({AUDITOR}),
    "audit_activity": frozenset({AUDITOR}),
    # The log as C2SP tlog-tiles (docs/audit.md, "Tiles"): the checkpoint and the hash
    # tiles hold hashes only, for any witness or monitor; entries only to auditors.
    "audit_tlog_checkpoint": EVERYONE,
    "audit_tlog_tile": EVERYONE,
    "audit_tlog_entries": frozenset({AUDITOR}),
    # Activity reports: a practice its own, admins every practice (docs/reports.md).
    "activity_report": frozenset({MEMBER, ADMIN}),
    "activity_report_csv": frozenset({MEMBER, ADMIN}),
    # Admins.
    "admin_accounts": frozenset({ADMIN}),
    "admin_invite": frozenset({ADMIN}),
    "admin_disable": frozenset({ADMIN}),
    "admin_enable": frozenset({ADMIN}),
    "admin_reinvite": frozenset({ADMIN}),
    "admin_practices": frozenset({ADMIN}),
    "admin_assign": frozenset({ADMIN}),
    "admin_unassign": frozenset({ADMIN}),
}


# What is open to everyone, except "/" (which sends a signed-in account to its own page).
PUBLIC = frozenset(name for name, roles in ALLOWED.items() if ANONYMOUS in roles) - {"home"}

# A session signed in with a backup code must set up its authenticator again before
# anything else: it may only do that, sign out, or use what is open to everyone.
REENROLMENT = PUBLIC | {"logout", "totp_page", "totp_start", "totp_confirm"}

# A member who does not hold the practice key yet (nobody granted it: the grant is a
# colleague's approval) reaches nothing of the practice, only their own account.
WAITING_FOR_KEY = (
    PUBLIC | {name for name, roles in ALLOWED.items() if roles == SIGNED_IN} | {"practice_waiting"}
)


def allowed(route_name: str, role: str | None) -> bool:
    return (role or ANONYMOUS) in ALLOWED[route_name]
