"""CORS on preflights and on every answer, and the mock's own contract pages."""

from __future__ import annotations

import orjson
import yaml

from grades_kit.contract.loader import GRADES_PATH

AUTH = {"Authorization": "Bearer local-dev-token"}
PREFLIGHT = {
    "Origin": "http://localhost:3000",
    "Access-Control-Request-Method": "GET",
    "Access-Control-Request-Headers": "authorization",
}


def test_preflight_needs_no_auth_and_allows_get_with_authorization(client):
    response = client.options(GRADES_PATH, headers=PREFLIGHT)
    assert response.status_code == 204 and response.get_data() == b""
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert int(response.headers["Access-Control-Max-Age"]) > 0


def test_cors_headers_on_success_and_errors(client):
    for headers in (AUTH, {}, {"Authorization": "Bearer local-no-grades-token"}):
        response = client.get(GRADES_PATH, headers={**headers, "Origin": "http://x.test"})
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get("/nope").headers["Access-Control-Allow-Origin"] == "*"
    forced = client.get(GRADES_PATH, headers={"Prefer": "code=500"})
    assert forced.headers["Access-Control-Allow-Origin"] == "*"


def test_origin_list_echoes_the_matching_origin(make_client):
    listed = make_client(cors_origin="http://localhost:3000, https://app.example.com")
    ok = listed.options(GRADES_PATH, headers={**PREFLIGHT, "Origin": "https://app.example.com"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Origin" in ok.headers.getlist("Vary")
    other = listed.get(GRADES_PATH, headers={"Origin": "https://evil.example"})
    assert other.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert "Origin" in other.headers.getlist("Vary")


def test_openapi_json_is_the_resolved_spec_pointing_at_the_mock(client, contract):
    document = orjson.loads(client.get("/openapi.json", base_url="http://mock.test:9000").data)
    assert document["servers"] == [{"url": "http://mock.test:9000", "description": "This mock."}]
    served = document["paths"][GRADES_PATH]["get"].pop("parameters")
    assert served[-1]["name"] == "Prefer" and served[-1]["required"] is False
    spec = orjson.loads(orjson.dumps(contract.document["paths"]))
    assert served[:-1] == spec[GRADES_PATH]["get"].pop("parameters")
    assert document["paths"] == spec  # nothing else differs
    assert contract.document["servers"] != document["servers"]  # the shared copy is untouched


def test_openapi_json_declares_prefer_with_a_working_example_per_case(client, contract):
    """/docs offers each case as an example of the optional Prefer header; each one works."""
    document = orjson.loads(client.get("/openapi.json").data)
    prefer = document["paths"][GRADES_PATH]["get"]["parameters"][-1]
    examples = [example["value"] for example in prefer["examples"].values()]
    forced = {f"code={s}" for s in contract.statuses() if s != 200}
    assert forced | {f"example={n}" for n in contract.response_examples()} <= set(examples)
    assert examples[0] == ""  # Swagger UI preselects the first: the real API's behaviour
    for value in examples[1:]:
        answer = client.get(GRADES_PATH, headers={**AUTH, "Prefer": value})
        expected = int(value[5:]) if value.startswith("code=") else 200
        assert answer.status_code == expected, value
        assert answer.headers["Preference-Applied"] == value
    assert "Prefer" not in str(contract.document["paths"])  # spec/openapi.yaml is unchanged


def test_openapi_yaml_matches_json(client):
    as_yaml = yaml.safe_load(client.get("/openapi.yaml").get_data(as_text=True))
    assert as_yaml == orjson.loads(client.get("/openapi.json").data)


def test_docs_are_swagger_ui_served_locally(client):
    page = client.get("/docs/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "swagger-ui-bundle.js" in html
    assert "/openapi.json" in html and "https://" not in html.split("<body>")[0]
    bundle = client.get("/docs/swagger-ui-bundle.js")
    assert bundle.status_code == 200 and len(bundle.get_data()) > 100_000
    bundle.close()


def test_healthz_counts_records(client):
    assert orjson.loads(client.get("/healthz").data) == {"status": "ok", "records": 166}


def test_preflight_allows_every_header_the_mock_reads(client):
    response = client.options(GRADES_PATH, headers={**PREFLIGHT, "Origin": "http://x.test"})
    allowed = {
        h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")
    }
    assert {"authorization", "content-type", "prefer"} <= allowed


def test_every_answer_exposes_the_headers_a_page_reads(client):
    for path, headers in ((GRADES_PATH, {"Prefer": "code=503"}), (GRADES_PATH, {}), ("/x", {})):
        exposed = client.get(path, headers=headers).headers["Access-Control-Expose-Headers"]
        names = {h.strip() for h in exposed.split(",")}
        assert {"Retry-After", "WWW-Authenticate", "Preference-Applied", "Allow"} <= names


def test_the_admin_api_answers_a_preflight_without_its_token(make_app):
    app = make_app(admin_token="adm", cors_origin="http://a.test,http://b.test")
    admin = app.test_client()  # not the validating client: /__mock/ is not the API's contract
    response = admin.options(
        "/__mock/records",
        headers={**PREFLIGHT, "Origin": "http://b.test", "Access-Control-Request-Method": "PUT"},
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "http://b.test"
    assert "PUT" in response.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


OPEN_EDX = "authorization, content-type, use-jwt-cookie, x-requested-with"
"""What an Open edX frontend's preflight asks for (frontend-platform's authenticated client)."""


def _allowed(response) -> list[str]:
    return [h.strip() for h in response.headers["Access-Control-Allow-Headers"].split(",")]


def test_preflight_echoes_the_headers_the_browser_asks_for(client):
    response = client.options(
        GRADES_PATH, headers={**PREFLIGHT, "Access-Control-Request-Headers": OPEN_EDX}
    )
    assert {h.lower() for h in _allowed(response)} >= set(OPEN_EDX.split(", ")) | {"prefer"}
    assert "Access-Control-Request-Headers" in response.headers.getlist("Vary")
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_preflight_never_echoes_what_is_not_a_header_name(client):
    asked = "authorization, x-evil: 1"
    response = client.options(
        GRADES_PATH, headers={**PREFLIGHT, "Access-Control-Request-Headers": asked}
    )
    assert _allowed(response) == ["Authorization", "Content-Type", "Prefer"]


def test_credentials_echo_the_listed_origin_on_every_answer(make_client):
    listed = make_client(cors_origin="http://localhost:3000", cors_credentials=True)
    for response in (
        listed.options(GRADES_PATH, headers=PREFLIGHT),
        listed.get(GRADES_PATH, headers={**AUTH, "Origin": "http://localhost:3000"}),
        listed.get(GRADES_PATH, headers={"Origin": "http://localhost:3000"}),  # the 401
    ):
        assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3000"
        assert response.headers["Access-Control-Allow-Credentials"] == "true"
        assert "Origin" in response.headers.getlist("Vary")


def test_a_fixed_allow_list_is_answered_as_given(make_client):
    strict = make_client(cors_allow_headers="Authorization, Prefer")
    response = strict.options(
        GRADES_PATH, headers={**PREFLIGHT, "Access-Control-Request-Headers": OPEN_EDX}
    )
    assert _allowed(response) == ["Authorization", "Prefer"]
    assert "Access-Control-Request-Headers" not in response.headers.getlist("Vary")
