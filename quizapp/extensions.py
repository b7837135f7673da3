"""Extensions, created unbound and bound to the app in create_app()."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from .replica import ReplicaRoutingSession

#: Named constraints so that migrations can alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: A request ends soon after its one commit; expiring everything then would only make the
#: redirect and the response headers load the same rows again. Dashboard reads may go to a
#: read replica (quizapp/replica.py).
db = SQLAlchemy(
    model_class=Base,
    session_options={"class_": ReplicaRoutingSession, "expire_on_commit": False},
)
migrate = Migrate()
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to continue."
login_manager.login_message_category = "info"

#: Rate limits (sign-in, registering, password reset); limits are declared on the views.
#: Storage and strategy come from the RATELIMIT_* settings (config.py).
limiter = Limiter(key_func=get_remote_address)
