"""The console refuses what it must: anonymous requests, forged forms, guessed passwords,
agents in admin pages, markup in customer text, and SQL in a search."""

import re

import pytest
from console_support import PASSWORD, csrf_of
from sqlalchemy import create_engine, text

from services.console.app import create_app
from services.console.settings import load_settings

PUBLIC = {"/login", "/health"}
MARKUP = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> my password reset'


def _routes(env: dict) -> list[tuple[str, str]]:
    """Every (method, path) the console serves, read from the application itself."""
    app = create_app(load_settings(env))
    app.router.finalize()
    routes = []
    for route in app.router.routes:
        path = "/" + re.sub(r"<[^>]+>", "console.css", route.path)
        for method in sorted(route.methods - {"HEAD"}):
            routes.append((method, path))
    return routes


@pytest.fixture(scope="module")
def seeded(bare):
    """Conversations with markup, SQL-looking text and percent signs."""
    bare.tracker.conversation("xss-1", [(MARKUP, "forgot_password", 0.9)])
    bare.tracker.conversation("sql-1", [("it says 100% wrong", "login_invalid_credentials", 0.8)])
    bare.tracker.conversation("plain-1", [("I forgot my password", "forgot_password", 0.99)], language="fr")
    return bare


def test_every_page_and_api_refuses_an_anonymous_request(seeded) -> None:
    routes = _routes(seeded.console.env)
    assert len(routes) > 20
    with seeded.console.client() as client:
        for method, path in routes:
            if path in PUBLIC or path.startswith("/static/"):
                continue
            for accept in ("text/html", "application/json"):
                response = client.request(
                    method,
                    path,
                    params={"id": "xss-1"},
                    headers={"Accept": accept},
                    data={"id": "xss-1", "text": "x"} if method == "POST" else None,
                )
                refused = response.status_code == 401 or (
                    response.status_code == 303 and response.headers["location"].startswith("/login")
                )
                assert refused, f"{method} {path} answered {response.status_code} without a session"
                assert "forgot" not in response.text and "<script" not in response.text


def test_static_files_and_health_need_no_session(seeded) -> None:
    with seeded.console.client() as client:
        assert client.get("/health").json() == {"status": "ok"}
        assert client.get("/static/console.css").status_code == 200
        assert client.get("/login").status_code == 200


def test_a_form_without_its_csrf_token_is_refused(seeded) -> None:
    with seeded.console.signed_in("agent1") as client:
        for data in (
            {"id": "plain-1", "text": "a forged note 7731"},
            {"id": "plain-1", "text": "a forged note 7731", "csrf_token": "forged"},
        ):
            refused = client.post("/conversation/notes", data=data)
            assert refused.status_code == 403
        token = csrf_of(client, "/conversation?id=plain-1")
        assert "a forged note 7731" not in client.get("/conversation", params={"id": "plain-1"}).text
        accepted = client.post(
            "/conversation/notes", data={"id": "plain-1", "text": "a forged note 7731", "csrf_token": token}
        )
        assert accepted.status_code == 303
        assert "a forged note 7731" in client.get("/conversation", params={"id": "plain-1"}).text


def test_the_sign_in_form_needs_its_own_csrf_token(seeded) -> None:
    with seeded.console.client() as client:
        refused = client.post("/login", data={"username": "agent1", "password": PASSWORD})
        assert refused.status_code == 403
        assert "console_session" not in refused.headers.get("set-cookie", "")


def test_session_cookie_is_httponly_and_samesite(seeded) -> None:
    with seeded.console.client() as client:
        response = client.post(
            "/login",
            data={"csrf_token": csrf_of(client, "/login"), "username": "agent1", "password": PASSWORD},
        )
        cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("console_session="))
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_a_wrong_password_gets_the_same_answer_as_an_unknown_name(seeded) -> None:
    with seeded.console.client() as client:
        answers = []
        for name in ("agent1", "nobody-here"):
            response = client.post(
                "/login",
                data={
                    "csrf_token": csrf_of(client, "/login"),
                    "username": name,
                    "password": "wrong password entirely 77",
                },
            )
            answers.append(
                (response.status_code, re.search(r'role="alert">([^<]*)<', response.text).group(1))
            )
        assert answers[0] == answers[1] == (401, "Wrong name or password.")


def test_passwords_are_stored_as_argon2_hashes(seeded) -> None:
    engine = create_engine(seeded.console.env["CONSOLE_DB_URL"])
    with engine.connect() as connection:
        hashes = connection.execute(text("SELECT password_hash FROM users")).scalars().all()
    assert hashes and all(h.startswith("$argon2") and PASSWORD not in h for h in hashes)


def test_logins_are_throttled_after_repeated_failures(make_console) -> None:
    fresh = make_console()
    with fresh.console.client() as client:

        def attempt(password: str) -> int:
            return client.post(
                "/login",
                data={"csrf_token": csrf_of(client, "/login"), "username": "agent1", "password": password},
            ).status_code

        assert [attempt(f"wrong guess number {i}") for i in range(5)] == [401] * 5
        assert attempt(PASSWORD) == 429  # even the right password waits for the window
        assert attempt("wrong guess again") == 429
    # Another name from the same address is not locked out yet.
    with fresh.console.signed_in("admin1") as admin:
        assert admin.get("/conversations").status_code == 200


def test_a_weak_password_is_refused_when_creating_a_user(seeded) -> None:
    result = seeded.console.cli("create-user", "weakling", "--password-stdin", stdin="password1234\n")
    assert result.returncode == 2
    assert "too easy to guess" in result.stderr
    assert "Traceback" not in result.stderr


def test_agents_cannot_open_admin_pages(seeded) -> None:
    with seeded.console.signed_in("agent1") as agent:
        assert agent.get("/audit").status_code == 403
        token = csrf_of(agent, "/conversations")
        assert (
            agent.post("/conversation/erase", data={"id": "plain-1", "csrf_token": token}).status_code == 403
        )
        assert seeded.tracker.count("plain-1") > 0
    with seeded.console.signed_in("admin1") as admin:
        trail = admin.get("/audit")
        assert trail.status_code == 200 and "agent1" in trail.text


def test_customer_markup_is_shown_as_text(seeded) -> None:
    with seeded.console.signed_in("agent1") as client:
        for path in ("/conversation", "/conversation/messages"):
            page = client.get(path, params={"id": "xss-1"}).text
            assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page
            assert "<script>window" not in page and "<img src=x" not in page
        listing = client.get("/conversations", params={"q": "window.__pwned"}).text
        assert "xss-1" in listing and "<script>window" not in listing
        headers = client.get("/conversation", params={"id": "xss-1"}).headers
        assert "script-src 'self'" in headers["content-security-policy"]


@pytest.mark.parametrize("search", ["' OR '1'='1", "%' OR 1=1 --", "x'; DROP TABLE summaries; --", "_", "%"])
def test_search_text_cannot_inject_sql(seeded, search: str) -> None:
    with seeded.console.signed_in("agent1") as client:
        found = re.findall(
            r'conversation\?id=([\w-]+)"', client.get("/conversations", params={"q": search}).text
        )
        # Wildcards are literal: only "100%" contains a "%", only "window.__pwned" an "_".
        expected = {"%": ["sql-1"], "_": ["xss-1"]}.get(search, [])
        assert found == expected
        everything = re.findall(r'conversation\?id=([\w-]+)"', client.get("/conversations").text)
        assert set(everything) == {"xss-1", "sql-1", "plain-1"}


def test_filters_outside_their_values_are_ignored_not_executed(seeded) -> None:
    with seeded.console.signed_in("agent1") as client:
        response = client.get(
            "/conversations",
            params={"outcome": "resolved' OR 1=1 --", "before": "1 OR 1=1", "language": "fr"},
        )
        assert response.status_code == 200
        assert re.findall(r'conversation\?id=([\w-]+)"', response.text) == ["plain-1"]
