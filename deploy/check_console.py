#!/usr/bin/env python3
"""The web console in a real browser: headless Chromium (Debian's chromium + chromium-driver) driven
by Selenium, against a real herald-api, router, worker, PostgreSQL, RabbitMQ and the sample receiver.

    python3 deploy/check_console.py --bin .build/debug [--keep] [--no-screenshots]

Signs in, creates a webhook through the form (filter with sample matching, template preview), sees
it on the dashboard, sends a test, publishes events and reads them in the log, opens a delivery,
exports CSV, pauses and resumes, regenerates the secret, signs out; checks that another tenant's
session gets 404 on this tenant's pages, that an XSS name renders inert, that a form post without
the CSRF token is refused, that a viewer sees no change buttons. Screenshots of every screen go to
docs/console/. Prints 'N passed, M failed'.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

from checklib import Checks, free_port
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DB = "herald_console_check"
SHOTS = os.path.join(ROOT, "docs", "console")
check = Checks("console")


def log(msg):
    print(f"[console] {msg}", file=sys.stderr, flush=True)


def psql(sql, db="herald"):
    subprocess.run(["psql", "-X", "-qAt", "-h", "127.0.0.1", "-U", "herald", "-d", db, "-c", sql],
                   env=dict(os.environ, PGPASSWORD="herald"), check=True, capture_output=True)


def http(method, url, headers=None, body=None):
    req = urllib.request.Request(url, method=method, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode("utf-8", "replace"), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace"), dict(e.headers)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "debug"))
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--no-screenshots", action="store_true")
    args = ap.parse_args()
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import Select, WebDriverWait
        from selenium.common.exceptions import NoAlertPresentException
    except ImportError:
        print("selenium is not installed (make setup installs it)", file=sys.stderr)
        return 1
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not chromium or not driver_path:
        print("chromium and chromium-driver are not installed (make setup installs them)", file=sys.stderr)
        return 1

    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB}")
    env = dict(os.environ, HERALD_DATABASE_URL=f"postgres://herald:herald@127.0.0.1:5432/{DB}",
               HERALD_AMQP_URL=os.environ.get("HERALD_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"),
               HERALD_TOPOLOGY_PREFIX="console.", HERALD_ALLOW_PRIVATE_NETWORKS="true", HERALD_DEVELOPMENT="true",
               HERALD_LOG_LEVEL="warning", HERALD_RECONCILE_GRACE_S="5")
    subprocess.run([f"{args.bin}/heraldctl", "migrate"], env=env, check=True, capture_output=True)

    def token(tenant, role="admin"):
        cmd = [f"{args.bin}/heraldctl", "token", "create", "--role", role, "--json"] + (["--tenant", tenant] if tenant else [])
        return json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout)["secret"]

    acme, globex, viewer = token("acme"), token("globex"), token("acme", "viewer")
    rport, aport = free_port(), free_port()
    procs = [subprocess.Popen(["python3", os.path.join(ROOT, "deploy", "receiver.py"), "--port", str(rport)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
             subprocess.Popen([f"{args.bin}/herald-router"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
             subprocess.Popen([f"{args.bin}/herald-worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
             subprocess.Popen([f"{args.bin}/herald-api"], env=dict(env, HERALD_API_ADDR=f"127.0.0.1:{aport}"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    base = f"http://127.0.0.1:{aport}"
    receiver = f"http://127.0.0.1:{rport}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except Exception:
            time.sleep(0.2)

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--disable-gpu"]:
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(driver_path), options=options)
    wait = WebDriverWait(browser, 20)
    os.makedirs(SHOTS, exist_ok=True)

    def shot(name, full=True):
        if args.no_screenshots:
            return
        if full:
            height = browser.execute_script("return Math.min(document.body.scrollHeight, 6000)")
            browser.set_window_size(1280, max(700, height))
        browser.save_screenshot(os.path.join(SHOTS, f"{name}.png"))
        browser.set_window_size(1280, 1000)

    def sign_in(secret):
        browser.get(base + "/console/sign-in")
        browser.find_element(By.ID, "token").send_keys(secret)
        click(browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
        wait.until(lambda b: "/console/webhooks" in b.current_url)

    def click(element):
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        element.click()

    def session_cookie():
        return "herald_session=" + browser.get_cookie("herald_session")["value"]

    try:
        # Sign in.
        browser.get(base + "/console/webhooks")
        check("/console/sign-in" in browser.current_url, "a page without a session leads to sign-in")
        shot("01-sign-in", full=False)
        sign_in(acme)
        cookie = browser.get_cookie("herald_session")
        check(cookie and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict", f"session cookie HttpOnly + SameSite=Strict: {cookie}")

        # Create a webhook through the form: filter with sample matching, template preview.
        click(browser.find_element(By.LINK_TEXT, "Create webhook"))
        browser.find_element(By.NAME, "name").send_keys("Orders to CRM")
        url = browser.find_element(By.NAME, "url")
        url.clear()
        url.send_keys(receiver + "/ok/crm")
        click(browser.find_element(By.CSS_SELECTOR, "input[name=events][value='order.*']"))
        browser.find_element(By.ID, "filter").send_keys("order.total > 10")
        click(browser.find_element(By.ID, "check-filter"))
        wait.until(lambda b: "would trigger" in b.find_element(By.ID, "filter-result").text)
        check("order.created" in browser.find_element(By.ID, "filter-result").text, "sample matching lists the order samples")
        click(browser.find_element(By.ID, "default-template"))
        click(browser.find_element(By.ID, "preview-template"))
        wait.until(lambda b: "delivery_id" in b.find_element(By.ID, "preview-result").text or "Error" in b.find_element(By.ID, "preview-result").text)
        check("delivery_id" in browser.find_element(By.ID, "preview-result").text, "template preview renders the default template")
        Select(browser.find_element(By.ID, "auth-type")).select_by_value("bearer")
        browser.find_element(By.NAME, "auth_token").send_keys("crm-token-123")
        shot("02-create-webhook")
        click(browser.find_element(By.CSS_SELECTOR, ".actions.sticky button[type=submit]"))
        wait.until(lambda b: b.find_elements(By.ID, "secret"))
        secret = browser.find_element(By.ID, "secret").text
        check(secret.startswith("whsec_"), "the signing secret is shown once after creation")
        shot("03-created-secret", full=False)
        http("POST", receiver + "/_secrets", {"Content-Type": "application/json"}, json.dumps({"secrets": [secret]}).encode())
        check("crm-token-123" not in browser.page_source, "the stored credential is not rendered back")

        # Dashboard.
        browser.get(base + "/console/webhooks")
        check("Orders to CRM" in browser.page_source, "the new webhook is on the dashboard")
        webhook_id = browser.find_element(By.CSS_SELECTOR, "td .sub").text
        shot("04-dashboard")

        # Test.
        browser.get(f"{base}/console/webhooks/{webhook_id}/test")
        Select(browser.find_element(By.NAME, "event_type")).select_by_value("order.created")
        click(browser.find_element(By.ID, "preview-template"))
        wait.until(lambda b: b.find_element(By.ID, "preview-result").text != "" and "Rendering" not in b.find_element(By.ID, "preview-result").text)
        click(browser.find_element(By.CSS_SELECTOR, "#test-form button[type=submit]"))
        wait.until(lambda b: b.find_elements(By.ID, "test-result"))
        check("working correctly" in browser.find_element(By.ID, "test-result").text, "the test delivery succeeded and says so")
        shot("05-test")

        # Events published over the API, then the log.
        body = json.dumps([{"type": "order.created", "data": {"order": {"id": f"C-{i}", "total": 50 + i}}} for i in range(5)]).encode()
        status, _, _ = http("POST", base + "/api/v1/events", {"Authorization": f"Bearer {acme}", "Content-Type": "application/json"}, body)
        check(status == 202, f"events accepted over the API ({status})")
        for _ in range(60):
            browser.get(f"{base}/console/webhooks/{webhook_id}/log")
            if len(browser.find_elements(By.CSS_SELECTOR, "tbody tr")) >= 6 and "succeeded" in browser.page_source:
                break
            time.sleep(0.5)
        rows = browser.find_elements(By.CSS_SELECTOR, "tbody tr")
        check(len(rows) >= 6, f"the log lists the test and the 5 events ({len(rows)} rows)")
        shot("06-delivery-log")
        browser.get(f"{base}/console/webhooks/{webhook_id}/log?period=custom&from=2020-01-01&to=2100-01-01&state=succeeded")
        check(len(browser.find_elements(By.CSS_SELECTOR, "tbody tr")) >= 6, "a custom period with a status filter")
        browser.get(f"{base}/console/webhooks/{webhook_id}/log?period=custom&from=2020-01-01&to=2020-01-02")
        check("No deliveries in this period" in browser.page_source, "an empty custom period")
        browser.get(f"{base}/console/webhooks/{webhook_id}/log")
        rows = browser.find_elements(By.CSS_SELECTOR, "tbody tr")

        # A delivery's detail, and resend.
        click(rows[0].find_element(By.TAG_NAME, "a"))
        wait.until(lambda b: "Timeline" in b.page_source)
        check("Attempt 1" in browser.page_source, "the detail shows the attempt timeline")
        shot("07-delivery-detail")
        click(browser.find_element(By.CSS_SELECTOR, "form button.primary"))
        wait.until(lambda b: "Sent again" in b.page_source)
        check(True, "resend from the detail")

        # Export CSV with the browser's session.
        status, csv, headers = http("GET", f"{base}/console/webhooks/{webhook_id}/export.csv", {"Cookie": session_cookie()})
        check(status == 200 and csv.startswith("delivery_id,") and csv.count("\n") >= 7, f"CSV export ({status}, {csv.count(chr(10))} lines)")

        # Pause and resume from the dashboard.
        browser.get(base + "/console/webhooks")
        click(browser.find_element(By.XPATH, "//form[contains(@action,'/pause')]/button"))
        wait.until(lambda b: "Paused." in b.page_source)
        check("paused" in browser.find_element(By.CSS_SELECTOR, ".badge").text, "paused on the dashboard")
        click(browser.find_element(By.XPATH, "//form[contains(@action,'/resume')]/button"))
        wait.until(lambda b: "Resumed" in b.page_source)
        check("active" in browser.find_element(By.CSS_SELECTOR, ".badge").text, "resumed on the dashboard")

        # Regenerate the secret (confirmation dialog).
        browser.get(f"{base}/console/webhooks/{webhook_id}/edit")
        shot("08-edit-webhook")
        click(browser.find_element(By.XPATH, "//form[contains(@action,'/rotate-secret')]/button"))
        browser.switch_to.alert.accept()
        wait.until(lambda b: b.find_elements(By.ID, "secret"))
        check(browser.find_element(By.ID, "secret").text.startswith("whsec_") and browser.find_element(By.ID, "secret").text != secret,
              "a new secret, shown once")

        # An XSS name renders as text.
        browser.get(base + "/console/webhooks/new")
        browser.find_element(By.NAME, "name").send_keys("<script>alert(1)</script><img src=x onerror=alert(2)>")
        url = browser.find_element(By.NAME, "url")
        url.clear()
        url.send_keys(receiver + "/ok/xss")
        click(browser.find_element(By.CSS_SELECTOR, "input[name=events][value='customer.*']"))
        click(browser.find_element(By.CSS_SELECTOR, ".actions.sticky button[type=submit]"))
        wait.until(lambda b: b.find_elements(By.ID, "secret"))
        browser.get(base + "/console/webhooks")
        try:
            browser.switch_to.alert
            check(False, "an alert ran from a webhook name")
        except NoAlertPresentException:
            check(True, "no script ran")
        check("&lt;script&gt;alert(1)&lt;/script&gt;" in browser.page_source, "the name is escaped in the page")
        check("<script>alert(1)</script>" in browser.find_element(By.TAG_NAME, "table").text, "the name shows as text")

        # A form post without the CSRF token is refused (and changes nothing).
        status, page, _ = http("POST", f"{base}/console/webhooks/{webhook_id}/pause",
                               {"Cookie": session_cookie(), "Content-Type": "application/x-www-form-urlencoded"}, b"")
        check(status == 403, f"a post without the CSRF token is refused ({status})")
        status, page, headers = http("GET", f"{base}/console/webhooks", {"Cookie": session_cookie()})
        check("script-src 'self'" in headers.get("Content-Security-Policy", ""), "a CSP without inline script")

        # Dead letters and the catalog.
        browser.get(base + "/console/dead-letters")
        shot("09-dead-letters")
        browser.get(base + "/console/catalog")
        shot("10-catalog")
        browser.get(base + "/console/catalog/order.created")
        check("JSON Schema" in browser.page_source, "an event type's page has its schema")
        shot("11-event-type")

        # A phone's width.
        browser.set_window_size(390, 900)
        browser.get(base + "/console/webhooks")
        if not args.no_screenshots:
            browser.save_screenshot(os.path.join(SHOTS, "12-dashboard-phone.png"))
        browser.set_window_size(1280, 1000)

        # Sign out.
        click(browser.find_element(By.CSS_SELECTOR, "nav form button"))
        wait.until(lambda b: "/console/sign-in" in b.current_url)
        browser.get(base + "/console/webhooks")
        check("/console/sign-in" in browser.current_url, "signed out: back to sign-in")

        # Another tenant: 404 on this tenant's pages, and not on its dashboard.
        sign_in(globex)
        check("Orders to CRM" not in browser.page_source, "another tenant's dashboard does not list the webhook")
        for path in [f"/console/webhooks/{webhook_id}/edit", f"/console/webhooks/{webhook_id}/log", f"/console/webhooks/{webhook_id}/test"]:
            status, _, _ = http("GET", base + path, {"Cookie": session_cookie()})
            check(status == 404, f"tenant B gets 404 on {path} ({status})")
        click(browser.find_element(By.CSS_SELECTOR, "nav form button"))

        # A viewer sees no change buttons.
        sign_in(viewer)
        check(not browser.find_elements(By.LINK_TEXT, "Create webhook"), "a viewer has no Create button")
        check(not browser.find_elements(By.XPATH, "//form[contains(@action,'/pause')]"), "a viewer has no Pause button")
    except Exception as e:   # a failed wait or a missing element is a failed check, with the page's address
        check(False, f"{type(e).__name__}: {e} at {browser.current_url}")
    finally:
        browser.quit()
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
        if not args.keep:
            psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
