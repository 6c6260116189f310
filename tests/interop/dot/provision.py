"""Creates the database, the test user and the test client (confidential,
authorization code, RS256 ID tokens) of the django-oauth-toolkit peer."""
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interop_dot.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oauth2_provider.models import get_application_model  # noqa: E402

client_id, client_secret, redirect_uri, username, password = sys.argv[1:6]
call_command("migrate", verbosity=0, interactive=False)
User = get_user_model()
user = User.objects.create_user(username, email=f"{username}@example.org", password=password)
Application = get_application_model()
Application.objects.create(
    client_id=client_id,
    client_secret=client_secret,
    user=user,
    name="oidc-story interop",
    client_type=Application.CLIENT_CONFIDENTIAL,
    authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
    redirect_uris=redirect_uri,
    algorithm=Application.RS256_ALGORITHM,
)
