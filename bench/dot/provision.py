"""The django-oauth-toolkit peer of bench/run.sh: its database and two
confidential client_credentials clients with one secret (argv[1]):
`bench-hashed`, the secret kept as django-oauth-toolkit keeps it by default
(hashed with Django's password hasher, checked at each token request), and
`bench-plain` (hash_client_secret off: the framework without the hashing).
Uses the Django project of tests/interop/dot and its INTEROP_DOT_STATE."""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "interop" / "dot"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interop_dot.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oauth2_provider.models import get_application_model  # noqa: E402

secret = sys.argv[1]
call_command("migrate", verbosity=0, interactive=False)
owner = get_user_model().objects.create_user("bench-owner")
Application = get_application_model()
for client_id, hashed in (("bench-hashed", True), ("bench-plain", False)):
    Application.objects.create(
        client_id=client_id,
        client_secret=secret,
        user=owner,
        name=client_id,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        hash_client_secret=hashed,
    )
