"""Calls of every module through a client generated from /api/openapi.json by openapi-python-client.

Only generated code talks to the server: the generated clients, `api.<module>.<operation>` and
the generated models. Each call must come back as the operation's own 200 model, and its
`to_dict()` must give back exactly the JSON the server sent: so every field the API answers is
declared in the document, with the type it has, and nothing falls back to an untyped dict.

Usage: check.py <generated package dir> <base url> <openapi.json>    (exit 1 when a call fails)
"""
import base64
import importlib
import inspect
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[1])))
PACKAGE = os.path.basename(os.path.abspath(sys.argv[1]))
BASE = sys.argv[2]
client_module = importlib.import_module(PACKAGE)
models = importlib.import_module(f"{PACKAGE}.models")
DEMO_EMAIL, DEMO_PASSWORD, DEMO_KEY = "demo@example.com", "Demo12345", "DemoKey0000000000000000000000001"

guest = client_module.Client(base_url=BASE, raise_on_unexpected_status=True)
# The generated client sends `<prefix> <token>` in Authorization: HTTP Basic with the API key.
api_key = client_module.AuthenticatedClient(
    base_url=BASE,
    token=base64.b64encode(f"client:{DEMO_KEY}".encode()).decode(),
    prefix="Basic",
    raise_on_unexpected_status=True,
)


def pascal(operation_id):
    return "".join(part[:1].upper() + part[1:] for part in operation_id.split("_") if part)


def call(operation_id, body=None, client=api_key, **kwargs):
    """Runs one operation through its generated module; answers (parsed envelope, raw JSON)."""
    module = operation_id.split("_")[1]
    operation = importlib.import_module(f"{PACKAGE}.api.{module}.{operation_id}")
    arguments = dict(kwargs, client=client)
    if "body" in inspect.signature(operation.sync_detailed).parameters:
        arguments["body"] = getattr(models, f"{pascal(operation_id)}JsonBody").from_dict(body or {})
    response = operation.sync_detailed(**arguments)
    assert response.status_code == 200, f"HTTP {response.status_code}: {response.content[:200]!r}"
    model = getattr(models, f"{pascal(operation_id)}Response200")
    assert isinstance(response.parsed, model), f"parsed as {type(response.parsed).__name__}, not {model.__name__}"
    return response.parsed, json.loads(response.content)


def plain(value):
    """A generated value as JSON (models through their own to_dict)."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def answers(operation_id, body=None, client=api_key, **kwargs):
    """The call succeeds and its result round-trips through the generated types."""
    parsed, raw = call(operation_id, body, client, **kwargs)
    assert raw["error"] is None, f"error {raw['error']}"
    assert plain(parsed.result) == raw["result"], (
        f"the generated types do not hold the answer:\n  sent   {json.dumps(raw['result'])[:400]}"
        f"\n  parsed {json.dumps(plain(parsed.result), default=str)[:400]}"
    )
    return parsed.result, raw["result"]


def refuses(operation_id, body=None, client=api_key, **kwargs):
    """The call is refused with BoxBilling's error envelope, parsed as the operation's model."""
    parsed, raw = call(operation_id, body, client, **kwargs)
    assert raw["result"] is None and raw["error"]["message"], raw
    assert parsed.error.message == raw["error"]["message"] and parsed.error.code == raw["error"]["code"]
    return raw["error"]


failures, done = [], set()


def step(name, run):
    try:
        outcome = run()
    except Exception as e:  # noqa: BLE001 - every failure is reported, then the run fails
        failures.append(name)
        print(f"FAIL {name}: {type(e).__name__}: {e}")
        return None
    done.add(name.split()[0].split("/")[1])
    print(f"ok   {name}")
    return outcome


# Guest: the catalogue, currencies, gateways, the system.
step("guest/system/version", lambda: answers("guest_system_version", client=guest))
step("guest/product/get_list", lambda: answers("guest_product_get_list", client=guest))
step("guest/product/get", lambda: answers("guest_product_get", {"id": 1}, client=guest))
step("guest/product/category_get_list", lambda: answers("guest_product_category_get_list", client=guest))
step("guest/product/get_pairs", lambda: answers("guest_product_get_pairs", client=guest))
step("guest/currency/get_pairs", lambda: answers("guest_currency_get_pairs", client=guest))
step("guest/currency/get", lambda: answers("guest_currency_get", {"code": "EUR"}, client=guest))
step("guest/invoice/gateways", lambda: answers("guest_invoice_gateways", client=guest))
step("guest/invoice/gateways pairs", lambda: answers("guest_invoice_gateways", {"format": "pairs"}, client=guest))
step("guest/client/login", lambda: answers("guest_client_login", {"email": DEMO_EMAIL, "password": DEMO_PASSWORD},
                                           client=client_module.Client(base_url=BASE, raise_on_unexpected_status=True)))

# The demo client buys the local service products (901 domain, 902 hosting, 903 licence, 904
# download: free, set up at once on the Custom registrar and panel) and a custom product.
orders = {}
for product, config in (
    (901, {"register_sld": "generated", "register_tld": ".com"}),
    (902, {"domain": {"action": "owndomain", "owndomain_sld": "generated", "owndomain_tld": ".net"}}),
    (903, {}),
    (904, {}),
    (1, {"period": "1M"}),
):
    step(f"guest/cart/add_item {product}", lambda: answers("guest_cart_add_item", dict(config, id=product)))
    if product == 1:
        step("guest/cart/get", lambda: answers("guest_cart_get"))
    checkout = step(f"client/cart/checkout {product}", lambda: answers("client_cart_checkout"))
    if checkout:
        orders[product] = checkout[1]["order_id"]

step("client/order/get_list", lambda: answers("client_order_get_list"))
step("client/order/get", lambda: answers("client_order_get", {"id": orders[1]}))
step("client/order/service", lambda: answers("client_order_service", {"id": orders[902]}))
step("client/order/upgradables", lambda: answers("client_order_upgradables", {"id": orders[1]}))
step("client/invoice/get_list", lambda: answers("client_invoice_get_list"))
step("client/invoice/transaction_get_list", lambda: answers("client_invoice_transaction_get_list"))
step("client/client/balance_get_list", lambda: answers("client_client_balance_get_list"))
step("client/profile/get", lambda: answers("client_profile_get"))
step("client/example/get_info", lambda: answers("client_example_get_info", {"type": "info"}))
step("client/support/helpdesk_get_pairs", lambda: answers("client_support_helpdesk_get_pairs"))
ticket = step("client/support/ticket_create", lambda: answers(
    "client_support_ticket_create", {"support_helpdesk_id": 1, "subject": "Generated", "content": "From the generated client"}))
step("client/support/ticket_get", lambda: answers("client_support_ticket_get", {"id": ticket[1]}))
step("client/support/ticket_get_list", lambda: answers("client_support_ticket_get_list"))
step("client/email/get_list", lambda: answers("client_email_get_list"))
step("client/forum/get_list", lambda: answers("client_forum_get_list"))
step("client/forum/get_categories", lambda: answers("client_forum_get_categories"))
topic = step("client/forum/start_topic", lambda: answers(
    "client_forum_start_topic", {"forum_id": 1, "topic": "Generated client", "message": "Hello from the generated client"}))
step("client/forum/get_topic", lambda: answers("client_forum_get_topic", {"id": topic[1]}))
step("client/forum/get_topic_list", lambda: answers("client_forum_get_topic_list"))
step("client/forum/profile", lambda: answers("client_forum_profile"))

# Service modules whose system runs here (the Custom registrar and panel, the licence, files).
step("client/servicedomain/lock", lambda: answers("client_servicedomain_lock", {"order_id": orders[901]}))
step("client/servicedomain/get_transfer_code",
     lambda: answers("client_servicedomain_get_transfer_code", {"order_id": orders[901]}))
step("client/servicehosting/hp_get_pairs", lambda: answers("client_servicehosting_hp_get_pairs"))
step("client/servicehosting/change_password", lambda: answers(
    "client_servicehosting_change_password",
    {"order_id": orders[902], "password": "Generated-1", "password_confirm": "Generated-1"}))
step("client/servicelicense/reset", lambda: answers("client_servicelicense_reset", {"order_id": orders[903]}))
# Systems that are not on this machine (SolusVM, Centova Cast, YouHosting, the licence partner,
# a plugin, a file link that redirects): their refusals, parsed as the operation's model.
step("client/servicedownloadable/send_file refused",
     lambda: refuses("client_servicedownloadable_send_file", {"order_id": orders[1]}))
step("client/servicesolusvm/status refused", lambda: refuses("client_servicesolusvm_status", {"order_id": orders[1]}))
step("client/servicecentovacast/getaccount refused",
     lambda: refuses("client_servicecentovacast_getaccount", {"order_id": orders[1]}))
step("client/serviceyouhosting/is_yh_client", lambda: answers("client_serviceyouhosting_is_yh_client"))
step("client/serviceboxbillinglicense/reset refused",
     lambda: refuses("client_serviceboxbillinglicense_reset", {"order_id": orders[1]}))
step("client/servicecustom/{method} refused",
     lambda: refuses("client_servicecustom_any_method", {"order_id": 999999}, method="greet"))

with open(sys.argv[3], encoding="utf-8") as document:
    modules = {path.split("/")[3] for path in json.load(document)["paths"]}
missing = sorted(modules - done)
if missing:
    failures.append("modules never called: " + ", ".join(missing))
    print(f"FAIL modules never called: {', '.join(missing)}")
print(f"\n{len(failures)} failed: {failures}" if failures else f"\nevery call held ({len(done)} modules)")
sys.exit(1 if failures else 0)
