"""Words for the demo inbox: people, companies, tags and support threads of a SaaS team.

Kept apart from the generator so the text can grow without touching the logic. Bodies are
Intercom-style HTML (paragraphs, links, lists, code, images, quotes, entities) because
that is what the renderer has to cope with. Templates use ``str.format`` fields filled by
:func:`fill`; literal braces are doubled.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

JSON = dict[str, Any]

#: The first admin is the demo's ``me``.
ADMINS = (
    ("Ada Lovelace", "Support Lead"),
    ("Grace Hopper", "Senior Support Engineer"),
    ("Alan Turing", "Support Engineer"),
    ("Katherine Johnson", "Billing Specialist"),
    ("Margaret Hamilton", "Customer Success Manager"),
    ("Dennis Ritchie", "Staff Engineer"),
    ("Barbara Liskov", "Support Engineer"),
    ("Ken Thompson", "Solutions Engineer"),
)
AWAY_ADMINS = frozenset({"Ken Thompson"})
#: Team name and the indexes of its members in ``ADMINS``.
TEAMS = (
    ("Support", (0, 1, 2, 6)),
    ("Billing", (3, 0)),
    ("Success", (4, 7)),
    ("Engineering escalations", (5, 1, 7)),
)
TAGS = (
    "Bug report", "Feature request", "VIP", "Refund", "Billing", "Invoice", "Churn risk",
    "Onboarding", "SSO", "API", "Webhooks", "Integrations", "Slack", "Salesforce", "Zapier",
    "Mobile app", "iOS", "Android", "Performance", "Outage", "Data export", "CSV import",
    "Security", "GDPR", "Password reset", "2FA", "Upgrade", "Downgrade", "Trial", "Enterprise",
    "Education discount", "Nonprofit", "Dashboards", "Reports", "Permissions", "Feedback",
    "Praise", "Escalated", "Needs engineering", "Docs gap", "Known issue", "Spam",
)  # fmt: skip
CONTACT_COUNT = 320
FIRST_NAMES = (
    "Maria", "James", "Aisha", "Chen", "Lukas", "Sofia", "Mateo", "Priya", "Olivia", "Noah",
    "Yuki", "Amara", "Liam", "Fatima", "Ethan", "Ines", "Kwame", "Elena", "Tomás", "Hannah",
    "Ravi", "Zoe", "Omar", "Freya", "Diego", "Anika", "Jonas", "Leila", "Marcus", "Sara",
    "Björn", "Camille", "Dmitri", "Nia", "Hiro", "Grace", "Felix", "Lucía", "Arjun", "Emma",
)  # fmt: skip
LAST_NAMES = (
    "Garcia", "Smith", "Okafor", "Wang", "Müller", "Rossi", "Fernández", "Patel", "Brown",
    "Kim", "Tanaka", "Mensah", "O'Brien", "Haddad", "Johansson", "Dubois", "Nowak", "Silva",
    "Cohen", "Nguyen", "Kowalski", "Ivanova", "Schmidt", "Andersen", "Moreau", "Costa",
    "Yilmaz", "Lindqvist", "Adeyemi", "Murphy",
)  # fmt: skip
#: (company, e-mail domain, plan)
COMPANIES = (
    ("Brightpath Logistics", "brightpath.example", "Enterprise"),
    ("Copperleaf Health", "copperleaf.example", "Pro"),
    ("Northwind Traders", "northwind.example", "Pro"),
    ("Tidal Robotics", "tidal-robotics.example", "Enterprise"),
    ("Fernwood Schools", "fernwood.example", "Education"),
    ("Kestrel Media", "kestrel.example", "Starter"),
    ("Oakridge Bank", "oakridge.example", "Enterprise"),
    ("Pixelnest Studio", "pixelnest.example", "Starter"),
    ("Quarry & Co", "quarry.example", "Pro"),
    ("Riverstone Foods", "riverstone.example", "Pro"),
    ("Sable Security", "sable.example", "Enterprise"),
    ("Umbra Games", "umbra.example", "Starter"),
    ("Verdant Energy", "verdant.example", "Pro"),
    ("Wildflower Nonprofit", "wildflower.example", "Nonprofit"),
)
PLACES = (
    ("United States", "Austin"), ("United Kingdom", "Manchester"), ("Germany", "Berlin"),
    ("Brazil", "São Paulo"), ("India", "Bengaluru"), ("Japan", "Osaka"), ("Nigeria", "Lagos"),
    ("Ireland", "Dublin"), ("Canada", "Toronto"), ("Australia", "Melbourne"),
)  # fmt: skip
APP_PAGES = (
    "dashboards/revenue", "dashboards/retention", "reports/weekly", "settings/billing",
    "settings/security", "settings/integrations", "exports", "onboarding/step-3",
)  # fmt: skip
SLA_NAMES = ("Enterprise 1h first response", "Priority 4h", "Standard 24h")
DOCS = "https://docs.lumen.example"
FILES = "https://files.lumen.example"


@dataclass(frozen=True, slots=True)
class Scenario:
    """One kind of support thread: how it is titled, opened, and what people say in it."""

    title: str
    subject: str
    team: str
    tags: tuple[str, ...]
    opening: str
    contact_lines: tuple[str, ...] = ()
    admin_lines: tuple[str, ...] = ()


SCENARIOS = (
    Scenario(
        "Can't log in after password reset",
        "Locked out of my account",
        "Support",
        ("Password reset",),
        "<p>Hi, I reset my password about 20 minutes ago and now the login page just says "
        "<b>&quot;Invalid credentials&quot;</b>. I&#39;ve tried Chrome and Firefox.</p>"
        "<p>Can you help? I have a board meeting at 3pm and the revenue dashboard is on my "
        "account.</p>",
        (
            "<p>Still the same error after clearing cookies &#128533;</p>",
            "<p>It worked in a private window! Thanks.</p>",
        ),
        (
            "<p>Hi {first}, sorry about that! Our reset links expire after 15 minutes, and an "
            "expired link can leave the old session cookie behind. Could you try:</p>"
            "<ol><li>Signing out of every tab</li><li>Opening "
            '<a href="https://app.lumen.example/login">app.lumen.example/login</a> in a private '
            "window</li></ol>",
        ),
    ),
    Scenario(
        "Refund for duplicate charge",
        "Charged twice this month",
        "Billing",
        ("Refund", "Billing"),
        "<p>Hello, we were charged <b>twice</b> for our {plan} plan this month "
        "(invoice {invoice} and another one the next day). Can you refund the duplicate?</p>",
        ("<p>Here is the bank statement line: <code>LUMEN*ANALYTICS $1,188.00</code> x2</p>",),
        (
            "<p>Thanks {first}, I can see both charges. I&#39;ve refunded the duplicate; it "
            "usually shows up in 5&ndash;10 business days.</p>",
            "<p>Refund issued &#10003; Reference <code>re_{code}</code>.</p>",
        ),
    ),
    Scenario(
        "Webhook deliveries failing with 401",
        "Webhooks returning 401 since yesterday",
        "Engineering escalations",
        ("Webhooks", "API", "Bug report"),
        "<p>Since yesterday every webhook delivery to our endpoint fails with "
        "<code>401 Unauthorized</code>. Nothing changed on our side. The delivery log shows:"
        "</p><pre>POST https://hooks.{domain}/lumen\n"
        "X-Lumen-Signature: sha256=9f2c…\nHTTP/1.1 401 Unauthorized</pre>"
        "<p>Did the signing secret rotate?</p>",
        (
            "<p>We verify with HMAC-SHA256 over the raw body, exactly like the docs say.</p>",
            "<p>Found it: our proxy was re-encoding the JSON &#128580; all green now.</p>",
        ),
        (
            "<p>Hi {first}! We didn&#39;t rotate secrets, but we did start sending the "
            "<code>X-Lumen-Timestamp</code> header. If you sign <code>timestamp + &quot;.&quot; "
            "+ body</code> the check passes again. Docs: "
            f'<a href="{DOCS}/webhooks#signatures">{DOCS}/webhooks#signatures</a></p>',
        ),
    ),
    Scenario(
        "Feature request: dark mode for dashboards",
        "Dark mode?",
        "Success",
        ("Feature request", "Dashboards"),
        "<p>Our ops team keeps dashboards on a wall TV 24/7. Any plans for a <i>dark mode</i>? "
        "The white background is blinding at night &#128517;</p>",
        ("<p>Even a high-contrast theme would do.</p>",),
        (
            "<p>Love this idea, {first}! I&#39;ve added your vote to the request. In the meantime "
            "the <b>TV mode</b> toggle (<code>Shift</code> + <code>T</code>) dims the chrome.</p>",
        ),
    ),
    Scenario(
        "Invoice needs our VAT number",
        "VAT number on invoices",
        "Billing",
        ("Invoice", "Billing"),
        "<p>Hi there, our finance team needs the VAT number <b>{vat}</b> on invoice "
        "{invoice}. Can you reissue it? Company address:</p>"
        "<blockquote>{company}<br>12 Harbour Street<br>Dublin D02 X285</blockquote>",
        (),
        (
            "<p>Done! You can download the updated invoice from "
            '<a href="https://app.lumen.example/settings/billing">Settings &rarr; Billing</a>. '
            "Future invoices will include the VAT number automatically.</p>",
        ),
    ),
    Scenario(
        "Set up SSO with Okta",
        "SAML SSO configuration",
        "Support",
        ("SSO", "Security", "Enterprise"),
        "<p>We&#39;re rolling out Okta SSO. Which values go into the SAML app?</p>"
        "<ul><li>Single sign-on URL?</li><li>Audience URI?</li><li>Name ID format?</li></ul>",
        ("<p>Okta says <code>Invalid SAML response: audience mismatch</code></p>",),
        (
            "<p>Here you go:</p><ul><li>SSO URL: <code>https://app.lumen.example/saml/acs</code>"
            "</li><li>Audience: <code>urn:lumen:{code}</code></li><li>Name ID: "
            "<code>EmailAddress</code></li></ul><p>Full guide: "
            f'<a href="{DOCS}/sso/okta">{DOCS}/sso/okta</a></p>',
        ),
    ),
    Scenario(
        "CSV export is missing columns",
        "Export missing the region column",
        "Support",
        ("Data export", "Bug report"),
        "<p>When I export the <b>Weekly revenue</b> report to CSV, the <code>region</code> and "
        "<code>currency</code> columns are missing, although they show in the table.</p>"
        f'<p><img src="{FILES}/screens/export-{{n}}.png" alt="screenshot of export dialog"></p>',
        ("<p>Here&#39;s the file: columns stop after <code>net_revenue</code>.</p>",),
        (
            "<p>Thanks for the screenshot! Hidden columns are skipped on export; click "
            "<b>Columns &rarr; Show all</b> before exporting and they&#39;ll be included.</p>",
        ),
    ),
    Scenario(
        "API rate limit questions",
        "What are the API limits?",
        "Engineering escalations",
        ("API",),
        "<p>We&#39;re building a nightly sync and started getting <code>429 Too Many "
        "Requests</code>. What are the limits, and is there a header with the reset time?</p>",
        ("<p>We do about {n} requests per minute at peak.</p>",),
        (
            "<p>Limits are per workspace: 1,000 requests per minute spread over 10-second "
            "windows. Every response has <code>X-RateLimit-Remaining</code> and "
            "<code>X-RateLimit-Reset</code>; back off until the reset time. Example:</p>"
            "<pre><code>if resp.status_code == 429:\n"
            "    time.sleep(int(resp.headers[&quot;Retry-After&quot;]))</code></pre>",
        ),
    ),
    Scenario(
        "Slack integration stopped posting",
        "Slack alerts stopped",
        "Support",
        ("Slack", "Integrations"),
        "<p>Our <code>#revenue-alerts</code> channel hasn&#39;t received anything since "
        "Monday. The integration page still says <i>Connected</i>.</p>",
        ("<p>Reconnected, still nothing &#129300;</p>",),
        (
            "<p>It looks like the Slack app was removed from that channel. Type "
            "<code>/invite @Lumen</code> in <code>#revenue-alerts</code> and send a test "
            "alert.</p>",
        ),
    ),
    Scenario(
        "Upgrade to annual plan",
        "Switching to annual billing",
        "Billing",
        ("Upgrade", "Billing"),
        "<p>We&#39;d like to move from monthly to annual billing and add 15 seats. Will the "
        "current month be prorated?</p>",
        (),
        (
            "<p>Yes, the unused part of this month is credited. I&#39;ve prepared a quote: "
            f'<a href="{FILES}/quotes/Q-{{code}}.pdf">Q-{{code}}.pdf</a>. Annual saves 17%.</p>',
        ),
    ),
    Scenario(
        "Dashboard loads very slowly",
        "Dashboards taking 30+ seconds",
        "Engineering escalations",
        ("Performance", "Dashboards"),
        "<p>The <b>Retention</b> dashboard takes 30&ndash;40 seconds to load since last week. "
        "Other dashboards are fine. Request id: <code>req_{code}</code></p>",
        ("<p>Any update? The exec team uses this every morning.</p>",),
        (
            "<p>We found a slow query on cohorts over 24 months. A fix ships tonight; until then "
            "limiting the range to 12 months brings it under 3 s.</p>",
        ),
    ),
    Scenario(
        "Add a teammate with read-only access",
        "",
        "Support",
        ("Permissions",),
        "<p>How do I invite our accountant with read-only access to billing reports only?</p>",
        (),
        (
            "<p>Go to <b>Settings &rarr; Team</b>, invite them and pick the <i>Viewer</i> role, "
            "then restrict to the <b>Finance</b> folder. Details: "
            f'<a href="{DOCS}/roles">{DOCS}/roles</a></p>',
        ),
    ),
    Scenario(
        "GDPR data deletion request",
        "Right to erasure request",
        "Support",
        ("GDPR", "Security"),
        "<p>Under Article 17 GDPR I request deletion of all personal data you hold about me "
        "(account {email}).</p>",
        (),
        (
            "<p>Hi {first}, we&#39;ve received your request and will complete it within 30 days. "
            "You&#39;ll get a confirmation e-mail when it&#39;s done.</p>",
        ),
    ),
    Scenario(
        "Salesforce sync duplicates accounts",
        "Duplicate accounts after Salesforce sync",
        "Engineering escalations",
        ("Salesforce", "Integrations", "Bug report"),
        "<p>After enabling the Salesforce sync we have ~{n} duplicated accounts. Matching "
        "should be on <code>Account.Domain__c</code>, not on name.</p>",
        ("<p>Can you run a dedupe on your side?</p>",),
        (
            "<p>Change the matching key under <b>Integrations &rarr; Salesforce &rarr; Mapping</b>"
            " and re-run; existing duplicates can be merged with the bulk tool.</p>",
        ),
    ),
    Scenario(
        "Mobile app crashes on launch",
        "iOS app crashing",
        "Engineering escalations",
        ("Mobile app", "iOS", "Bug report"),
        "<p>The iOS app crashes right after the splash screen since version {ver}. iPhone 15, "
        "iOS 17.5.</p>",
        ("<p>Reinstalled, still crashing.</p>", "<p>Update fixed it, thank you!</p>"),
        ("<p>Thanks for reporting! Version {ver}.1 with a fix is in App Store review now.</p>",),
    ),
    Scenario(
        "Can we get an education discount?",
        "Education pricing",
        "Billing",
        ("Education discount",),
        "<p>We&#39;re a public school district ({n} teachers). Do you offer education pricing?</p>",
        (),
        (
            "<p>We do: 50% off any plan for accredited schools. Please reply with a document "
            "showing your status and I&#39;ll apply it.</p>",
        ),
    ),
    Scenario(
        "Thank you!",
        "",
        "Success",
        ("Praise", "Feedback"),
        "<p>Just wanted to say the new weekly report is <b>fantastic</b>. Saved me hours "
        "&#127881;</p>",
        (),
        ("<p>That made our day, {first}! I&#39;ll pass it on to the team &#128153;</p>",),
    ),
    Scenario(
        "Cancel our subscription",
        "Cancellation",
        "Success",
        ("Churn risk", "Downgrade"),
        "<p>We&#39;ve decided to cancel at the end of the billing period. Budget cuts, "
        "unfortunately.</p>",
        ("<p>A smaller plan might work, what would it cost?</p>",),
        (
            "<p>Sorry to hear that. Before you go: the Starter plan keeps your dashboards for "
            "$49/month. Want me to switch you instead?</p>",
        ),
    ),
    Scenario(
        "Zapier trigger not firing",
        "Zapier trigger issue",
        "Support",
        ("Zapier", "Integrations"),
        "<p>My Zap <i>&quot;New report &rarr; Google Sheets&quot;</i> doesn&#39;t trigger. "
        "Test step says <code>No new items found</code>.</p>",
        (),
        (
            "<p>The trigger only fires for <b>scheduled</b> reports. Turn on a schedule and it "
            "will pick up the next run.</p>",
        ),
    ),
    Scenario(
        "Enable two-factor authentication for everyone",
        "Enforce 2FA",
        "Support",
        ("2FA", "Security"),
        "<p>Is it possible to <b>enforce</b> 2FA for every user in our workspace?</p>",
        (),
        (
            "<p>Yes: <b>Settings &rarr; Security &rarr; Require two-factor</b>. Users without 2FA "
            "will be asked to set it up on next login.</p>",
        ),
    ),
    Scenario(
        "CSV import fails at row 1,204",
        "Import error",
        "Support",
        ("CSV import", "Bug report"),
        "<p>Import fails with:</p><pre>Row 1204: invalid date &quot;31/02/2024&quot; in "
        "column signup_date</pre><p>Can the importer skip bad rows?</p>",
        (),
        (
            "<p>Good catch, 31 February doesn&#39;t exist &#128578; Tick <b>Skip invalid rows</b> "
            "in step 2 and you&#39;ll get a report of skipped lines.</p>",
        ),
    ),
    Scenario(
        "Is there an outage?",
        "Site down?",
        "Engineering escalations",
        ("Outage", "Known issue"),
        "<p>Getting <code>502 Bad Gateway</code> on every page right now. Is something down?</p>",
        ("<p>Back for me now.</p>",),
        (
            "<p>Yes, we had a partial outage in the EU region from 09:12 to 09:31 UTC. Status "
            'page: <a href="https://status.lumen.example">status.lumen.example</a>. Sorry!</p>',
        ),
    ),
    Scenario(
        "Trial extension",
        "Can we extend our trial?",
        "Success",
        ("Trial",),
        "<p>Our trial ends Friday but procurement needs another week. Could you extend it?</p>",
        (),
        (
            "<p>Extended by 14 days &#9989; Let me know if procurement needs a security "
            "questionnaire.</p>",
        ),
    ),
    Scenario(
        "Chart colours wrong in PDF export",
        "PDF export colours",
        "Support",
        ("Reports", "Bug report", "Docs gap"),
        "<p>The PDF export of our report uses different colours than the app, so the legend "
        "doesn&#39;t match.</p>",
        (),
        ("<p>Known issue with custom palettes in PDF, fix coming this sprint.</p>",),
    ),
)

BIG_SCENARIO = Scenario(
    "Data export job stuck at 99% for our whole org",
    "Export stuck",
    "Engineering escalations",
    ("Data export", "Escalated", "Needs engineering", "Performance"),
    "<p>Every full export for our organisation gets stuck at <b>99%</b> and never finishes. "
    "Job id <code>exp_{code}</code>. This blocks our quarterly audit.</p>",
    (
        "<p>Tried again, stuck at 99% again.</p>",
        "<p>Our auditors are asking for an ETA &mdash; anything you can share?</p>",
        "<p>Attaching the browser console log.</p>",
    ),
    (
        "<p>Engineering is on it; we see the job waiting on the last shard. I&#39;ll update "
        "you within the hour.</p>",
        "<p>Update: we re-queued the last shard with more memory. Watching it now.</p>",
    ),
)

CONTACT_LINES = (
    "<p>Thanks for the quick reply!</p>",
    "<p>Any update on this?</p>",
    "<p>Ok, I&#39;ll try that and get back to you.</p>",
    "<p>That didn&#39;t work unfortunately. Same result.</p>",
    "<p>Here&#39;s a screenshot:</p>"
    f'<p><img src="{FILES}/screens/{{code}}.png" alt="screenshot"></p>',
    "<p>Perfect, that fixed it &#128079;</p>",
    "<p>Can you loop in someone technical? We&#39;re a bit stuck.</p>",
    "<p>Sorry for the delay, was out of office.</p>",
)
ADMIN_LINES = (
    "<p>Hi {first}, thanks for reaching out! Let me look into this for you.</p>",
    "<p>Could you send me the exact steps to reproduce? A screen recording helps a lot.</p>",
    "<p>I&#39;ve escalated this to our engineers and will update you as soon as I hear back.</p>",
    "<p>Just checking in: is this still happening on your side?</p>",
    "<p>Here&#39;s the relevant guide: "
    f'<a href="{DOCS}/troubleshooting">{DOCS}/troubleshooting</a>. Steps:</p>'
    "<ol><li>Open <b>Settings</b></li><li>Click <i>Diagnostics</i></li>"
    "<li>Send us the <code>diag-{code}.txt</code> file</li></ol>",
    "<p>Good news: the fix is live. Can you confirm it works for you now?</p>",
)
NOTES = (
    "<p>Customer is on the {plan} plan, renewal in {n} days. Let&#39;s be quick here.</p>",
    "<p>Repro&#39;d on staging. Logs: <code>kubectl logs deploy/api -n eu | grep "
    "req_{code}</code></p>",
    "<p>@Dennis can you take a look? Looks like the same bug as last week.</p>",
    "<blockquote>Engineering: fix merged, deploying tomorrow morning.</blockquote>",
    "<p>Checked Stripe: payment succeeded, invoice {invoice} is correct.</p>",
)
CLOSING_LINES = (
    "<p>Closing this for now. Just reply if anything else comes up!</p>",
    "<p>Glad we got it sorted. Have a great day, {first}!</p>",
)
OUTBOUND = (
    "<p>Hi {first}, I noticed your team hasn&#39;t set up scheduled reports yet. Want a "
    "15-minute walkthrough?</p>",
    "<p>Hi {first}, your renewal is coming up in {n} days. Anything we can help with before "
    "then?</p>",
)
BOT_GREETINGS = (
    "<p>Hi there &#128075; How can we help today?</p>",
    "<p>Welcome to Lumen! Ask me anything about dashboards, billing or the API.</p>",
)
BOT_ANSWERS = (
    "<p>I found an article that might help: "
    f'<a href="{DOCS}/getting-started">Getting started with Lumen</a>. Did that answer your '
    "question?</p>",
    "<p>I&#39;ll pass you to the team. They usually reply in under 2 hours.</p>",
)
RATING_REMARKS = {
    1: ("Took far too long.", "Problem still not solved."),
    2: ("Slow answers.", ""),
    3: ("", "OK, but I had to explain twice."),
    4: ("Helpful, thanks!", ""),
    5: ("Super fast, thank you!", "Grace was amazing &#10084;", ""),
}
ISSUE_TYPES = ("Bug", "Question", "Billing", "Feature request", "Account")
ATTACHMENTS = (
    ("screenshot.png", "image/png", 1280, 800),
    ("error-dialog.png", "image/png", 640, 360),
    ("invoice.pdf", "application/pdf", 0, 0),
    ("console.log", "text/plain", 0, 0),
)


def fill(template: str, rng: random.Random, contact: JSON) -> str:
    """A template with the contact's details and a few random numbers filled in."""
    name = contact.get("name") or "there"
    attrs = contact.get("custom_attributes") or {}
    return template.format(
        first=name.split()[0],
        email=contact.get("email") or "",
        company=attrs.get("Company") or "our company",
        domain=(contact.get("email") or "x@example.com").rsplit("@", 1)[-1],
        plan=attrs.get("Plan") or "Pro",
        n=rng.randint(12, 480),
        code=f"{rng.getrandbits(32):08x}",
        invoice=f"INV-{rng.randint(20_000, 99_999)}",
        vat=f"IE{rng.randint(1_000_000, 9_999_999)}X",
        ver=f"4.{rng.randint(2, 9)}",
    )


def attachment(rng: random.Random) -> JSON:
    name, kind, width, height = rng.choice(ATTACHMENTS)
    return {
        "type": "upload",
        "name": name,
        "url": f"{FILES}/uploads/{rng.getrandbits(40):010x}/{name}",
        "content_type": kind,
        "filesize": rng.randint(4_000, 2_400_000),
        "width": width,
        "height": height,
    }


def custom_attributes(rng: random.Random, scenario: Scenario, contact: JSON) -> JSON:
    if rng.random() < 0.5:
        return {}
    attrs: JSON = {
        "Issue type": rng.choice(ISSUE_TYPES),
        "Plan": (contact.get("custom_attributes") or {}).get("Plan") or "Trial",
    }
    if scenario.team == "Engineering escalations":
        attrs["Jira issue"] = f"ENG-{rng.randint(1000, 9999)}"
    if rng.random() < 0.3:
        attrs["MRR"] = rng.choice((49, 199, 499, 1188, 4900))
    return attrs


def linked_objects(rng: random.Random, seed_id: int) -> JSON:
    data = []
    if rng.random() < 0.08:
        data = [
            {"type": "ticket", "id": str(7_000 + seed_id % 997), "category": "Tracker"},
            {"type": "conversation", "id": str(max(1, seed_id - rng.randint(1, 50))),
             "category": None},
        ][: rng.randint(1, 2)]  # fmt: skip
    return {"type": "list", "total_count": len(data), "has_more": False, "data": data}


def ai_agent(rng: random.Random, scenario: Scenario) -> JSON:
    rating = rng.choice((None, 3, 4, 5))
    return {
        "source_type": rng.choice(("workflow", "profile")),
        "source_title": "Fin: first-line support",
        "last_answer_type": rng.choice(("ai_answer", "custom_answer", None)),
        "resolution_state": rng.choice(
            ("routed_to_team", "routed_to_team", "abandoned", "assumed_resolution")
        ),
        "rating": rating,
        "rating_remark": "Helpful, but I needed a human" if rating else None,
        "content_sources": {
            "type": "content_source.list",
            "total_count": 1,
            "content_sources": [
                {
                    "content_type": "article",
                    "url": f"/fin-ai-agent/content?content=article&id={rng.randint(1000, 9999)}",
                    "title": f"Troubleshooting: {scenario.title.lower()}",
                    "locale": "en",
                }
            ],
        },
    }
