"""Administration rules and state changes, one file per area: ``staff`` (the list, invitations sent, editing,
deactivation), ``staff_import`` (the CSV import), ``invitations`` (the invitation email both of them queue) and
``teams`` (programs and teams). The email outbox's list lives with the outbox itself, in ``core.mail``.

Every function that changes something takes the acting administrator, flushes, writes the audit log and never
commits: the view commits once. Problems are raised in ``core.errors``' words (``InvalidInput``, ``Refused``,
``StaleEdit``).
"""
