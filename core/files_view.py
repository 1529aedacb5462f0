"""``/files/<id>``: an uploaded file, to the people its purpose's reader rule allows (``core.uploads``), always as a
download with ``nosniff``. Every read is audited; a file the person may not read answers exactly like a missing one."""

from __future__ import annotations

from flask import Blueprint, Response
from flask_login import current_user

from core import audit, policy, uploads
from core.extensions import db
from core.models import Upload
from core.policy import requires

bp = Blueprint("files", __name__, url_prefix="/files")


@policy.rule(Upload, "upload.read")
def _may_read(user: object, upload: Upload) -> bool:
    return uploads.may_read(user, upload)  # type: ignore[arg-type]


@bp.get("/<int:upload_id>")
@requires("home.view")
def download(upload_id: int) -> Response:
    upload = db.get_or_404(Upload, upload_id)
    policy.authorize(current_user, "upload.read", upload, conceal=True)
    audit.record(
        "upload.read", actor=current_user, record_type="core_upload", record_id=upload.id, detail=upload.purpose
    )
    db.session.commit()
    return Response(
        upload.data,
        mimetype=upload.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{upload.filename}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )
