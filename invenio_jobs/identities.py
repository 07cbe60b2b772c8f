# This file is part of invenio-jobs.
# Copyright (C) 2026 The invenio-jobs authors.
#
# invenio-jobs is free software; you can redistribute it and/or modify it
# under the terms of the MIT License; see LICENSE file for more details.

"""The identity a run executes as, built in a worker where no one is logged in.

A run of a job with a service account (``run_as``) acts as that user, with
the user's roles; a manual run of another job as the user who started it;
a scheduled one as the system. The needs are those a logged-in user gets
(the user, each of its roles, ``any_user`` and ``authenticated_user``), so
that the permission policies of other modules judge the run as they would
judge that user.
"""

from flask_principal import Identity, RoleNeed, UserNeed
from invenio_access.permissions import (
    any_user,
    authenticated_user,
    system_identity,
    system_user_id,
)
from invenio_accounts.models import User
from invenio_db import db


def identity_for(user_id) -> Identity:
    """The identity of the user ``user_id`` with its roles; the system's for none.

    A user that no longer exists or is not active gets an identity with no
    needs at all, so that nothing is done in its name.
    """
    if user_id is None or str(user_id) == str(system_user_id):
        return system_identity
    user = db.session.get(User, int(user_id))
    identity = Identity(int(user_id))
    if user is None or not user.active:
        return identity
    identity.provides.add(UserNeed(user.id))
    identity.provides.add(any_user)
    identity.provides.add(authenticated_user)
    for role in user.roles:
        identity.provides.add(RoleNeed(role.id))
    identity.user = user
    return identity
