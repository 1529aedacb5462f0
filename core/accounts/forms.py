from typing import Any

from wtforms import EmailField, Field, PasswordField, StringField, ValidationError
from wtforms.validators import DataRequired, EqualTo, Length

from core.forms import FlaskForm, NewPassword, strip


def printable(_form: Any, field: Field) -> None:
    """Tabs, line breaks and control characters are never part of an address (and PostgreSQL refuses U+0000)."""
    if field.data and not field.data.isprintable():
        raise ValidationError("Remove the tabs, line breaks or other special characters from the email address.")


class SignInForm(FlaskForm):
    email = EmailField(
        "Email address",
        filters=[strip],
        validators=[
            DataRequired("Enter your work email address."),
            Length(max=254, message="An email address is at most 254 characters."),
            printable,
        ],
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Enter your password."),
            Length(max=256, message="A password is at most 256 characters."),
        ],
    )


class NewPasswordMixin:
    new_password = PasswordField(
        "New password",
        validators=[DataRequired("Enter a new password."), NewPassword()],
    )
    confirm_password = PasswordField(
        "Type the new password again",
        validators=[
            DataRequired("Type the new password a second time."),
            EqualTo("new_password", message="The two new passwords are not the same."),
        ],
    )


class ChangePasswordForm(FlaskForm, NewPasswordMixin):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password."), Length(max=256)],
    )


class SetPasswordForm(FlaskForm, NewPasswordMixin):
    pass


class CodeForm(FlaskForm):
    """A 6-digit code from an authenticator app. Never filled back in after a wrong try."""

    code = StringField(
        "6-digit code",
        filters=[strip],
        validators=[
            DataRequired("Enter the 6-digit code your authenticator app shows."),
            Length(max=20, message="The code is 6 digits."),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "one-time-code", "spellcheck": "false"},
    )


class CodeAndPasswordForm(CodeForm):
    """A code from the app and the person's password, on the account page's changes to their second factor: a
    browser left signed in is not enough to link another phone or take the recovery codes. Neither is filled back
    in after a wrong try."""

    current_password = PasswordField(
        "Your password",
        validators=[
            DataRequired("Enter your password."),
            Length(max=256, message="A password is at most 256 characters."),
        ],
    )


class RecoveryCodeForm(FlaskForm):
    code = StringField(
        "Recovery code",
        filters=[strip],
        validators=[
            DataRequired("Enter one of your recovery codes, for example abcd-efgh-jkmn."),
            Length(max=40, message="A recovery code is 12 letters and numbers."),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"},
    )
