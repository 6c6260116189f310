"""An interop table of one run: `table.py RUN.jsonl TABLE.md PEER [attacks|plan]`.

The stories' table: one row per story, its result, and why (the skip
reason, the provider's refusal, the check that failed or warned, what it
expected and what it found). With `attacks`, the attack stories' table: one
row per attack, who must refuse it (the provider, or our client), its
outcome, and why: the clause a provider that let it through breaks, and
what was sent and answered; what a refusal warned of; why it was skipped.
With `plan`, a plan run's table: one row per module, its clause, its
story and that story's outcome."""
import json, re, sys

lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
summary = next(l["summary"] for l in lines if "summary" in l)
records = {l["story"]: l for l in lines if "story" in l}
attacks = sys.argv[4:] == ["attacks"]


def checks(story, outcome):
    record = records.get(story, {})
    return [c for st in record.get("steps", []) for c in st.get("checks", []) if c.get("outcome") == outcome]


def warned(story):
    # What the check expected and what was found, so the finding reads
    # the right way round.
    return "; ".join(f"expected: {c['name']}; found: {c['detail']} ({c['reference']})" for c in checks(story, "warning"))


def outcome(s):
    """A story's result as the table shows it, and why."""
    result = s["result"]
    why = ""
    if result == "skipped":
        shown, why = "skipped", s["why"]
    elif result == "failed":
        shown = f"fails at step {s['step']}" + (f" ({s['service']})" if s.get("service") else "")
        record = records.get(s["story"], {})
        failed = checks(s["story"], "failed")
        errors = [st["error"] for st in record.get("steps", []) if st.get("error") and not st.get("ok")]
        if failed:
            why = "; ".join(f"{c['name']} ({c['reference']})" for c in failed)
        elif errors:
            why = "; ".join(f"the server answered {e['error']}" for e in errors)
        elif record.get("error"):
            why = record["error"]
    elif result == "not_refused":
        shown = f"not refused at step {s['step']} ({s['service']})"
        why = (f"not refused: {s['clause']}; expected {s['expected']}, "
               f"answered {s['status']} to {s['sent']}")
    elif result == "refused_by_server":
        shown = f"refused by the server at step {s['step']} ({s['service']})"
        why = s["error"] + (f": {s['description']}" if s.get("description") else "")
        if s.get("note"):
            why += f"; {s['note']}"
    elif result == "needs_browser":
        shown = f"needs a browser at step {s['step']} ({s['service']})"
        why = s["what"]
    elif result == "passed_with_warnings":
        shown = "passes, warns"
        why = warned(s["story"])
    elif result == "refused_as_expected" and s.get("should_not_met"):
        # A defence its clause only recommends, let through.
        shown = "not refused where a SHOULD asks"
        why = warned(s["story"])
    elif result == "refused_as_expected" and s.get("checks_warned"):
        shown = "refused as expected, warns"
        why = warned(s["story"])
    else:
        shown = result.replace("_", " ")
    # A run's own values (ports, states, challenges) out of the table.
    why = re.sub(r"(https?://127\.0\.0\.1):[0-9]+", r"\1:PORT", why)
    why = re.sub(r"(https?://[^\s?,]+)\?[^\s,]*", r"\1?…", why)
    return shown, why.replace("|", "/")


who = {"provider": "the provider", "client": "our client"}
plan = sys.argv[4:] == ["plan"]
if plan:
    # The plan's table: one row per module, its clause, its story's outcome.
    stories = {s["story"]: s for s in summary["stories"]}
    out = [f"| module | clause | story | against {sys.argv[3]} | why |", "|---|---|---|---|---|"]
    for m in summary["plan"]["modules"]:
        s = stories.get(m["story"])
        shown, why = outcome(s) if s else (m["result"].replace("_", " "), "")
        out.append(f"| {m['module']} | {m['clause']} | {m['story']} | {shown} | {why} |")
    open(sys.argv[2], "w").write("\n".join(out) + "\n")
    sys.exit(0)
if attacks:
    out = [f"| attack | must refuse | against {sys.argv[3]} | why |", "|---|---|---|---|"]
else:
    out = [f"| story | against {sys.argv[3]} | why |", "|---|---|---|"]
for s in summary["stories"]:
    # One run of --all: the usage stories in one table, the attacks in the other.
    if (s["kind"] != "usage") != attacks:
        continue
    shown, why = outcome(s)
    if attacks:
        out.append(f"| {s['story']} | {who[s['kind']]} | {shown} | {why} |")
    else:
        out.append(f"| {s['story']} | {shown} | {why} |")
open(sys.argv[2], "w").write("\n".join(out) + "\n")
