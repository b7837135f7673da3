"""The app as production runs it, plus a bare route to compare throughput against."""

from quizapp import create_app
from quizapp.access import public

app = create_app()
# The benchmark speaks plain HTTP on loopback, where Secure cookies would not come back.
app.config["SESSION_COOKIE_SECURE"] = False


@public
def hello() -> str:
    return "hello"


app.add_url_rule("/hello", "hello", hello)
