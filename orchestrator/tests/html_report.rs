//! The HTML report in a real browser: `run --all --format html --out DIR`,
//! then headless Chromium (Debian's `chromium`) loads every page. The test
//! fails on a console error in any page, a broken internal link or anchor,
//! a story page whose sequence diagram is empty, or an index that does not
//! open with the provider scorecard (drawn above the summary table); it
//! keeps screenshots of the index and of one story page beside the report,
//! under the test output directory (target/tmp/html-report).
//!
//! Ignored by default (it needs Chromium); `.ci/run` installs it and runs
//! `cargo test -p orchestrator --test html_report -- --include-ignored`.
//! The index's markup is also checked without a browser, in a test that
//! always runs; so is a plan run's index, whose table of modules comes
//! after the scorecard (and, in the browser, is drawn between it and the
//! summary). So are the report's characters (no emoji: a machine without
//! an emoji font draws an empty box), the sequence diagram's two-line
//! labels and the wrapping rules of its JSON; in the browser, where each
//! long line of a story page actually wraps.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> &'static str {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new(name).arg("--version").output().is_ok() {
            return name;
        }
    }
    panic!("this test needs Chromium on PATH (apt-get install chromium)");
}

fn headless(browser: &str, args: &[&str], url: &Path) -> (String, String) {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
        ])
        .args(args)
        .arg(format!("file://{}", url.display()))
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write_report(dir: &Path) {
    let out = Command::new(env!("CARGO_BIN_EXE_orchestrator"))
        .args(["run", "--all", "--format", "html", "--force", "--out"])
        .arg(dir)
        .env_remove("ORCHESTRATOR_AS")
        .env_remove("ORCHESTRATOR_RP")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn pages(dir: &Path) -> Vec<PathBuf> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    pages.sort();
    pages
}

/// Every `href` of a page that stays inside the report.
fn internal_links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| !href.starts_with("http://") && !href.starts_with("https://"))
        .map(|href| href.replace("&amp;", "&"))
        .collect()
}

#[test]
#[ignore = "needs headless Chromium (chromium on PATH); run with --include-ignored, as .ci/run does"]
fn the_report_opens_in_a_browser_without_errors_broken_links_or_empty_diagrams() {
    let browser = chromium();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-report");
    write_report(&dir);
    let pages = pages(&dir);
    assert_eq!(
        pages.len(),
        orchestrator::catalog::all().count() + 1,
        "a page per story and the index"
    );

    // Links and anchors inside the report.
    let mut broken = Vec::new();
    for page in &pages {
        let html = std::fs::read_to_string(page).unwrap();
        for link in internal_links(&html) {
            let (file, anchor) = link.split_once('#').unwrap_or((&link, ""));
            let target = if file.is_empty() {
                page.clone()
            } else {
                dir.join(file)
            };
            let Ok(target_html) = std::fs::read_to_string(&target) else {
                broken.push(format!("{}: {link}", page.display()));
                continue;
            };
            if !anchor.is_empty() && !target_html.contains(&format!("id=\"{anchor}\"")) {
                broken.push(format!("{}: {link} (no such anchor)", page.display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));

    // Every page in one browser: a harness framing them all, so a console
    // message from any of them is logged with its source, and a script of
    // the harness (file access allowed) counts what each page's diagram
    // holds once the browser has built it.
    let frames: String = pages
        .iter()
        .map(|p| format!("<iframe src=\"{}\"></iframe>\n", p.display()))
        .collect();
    let harness = dir.join("all-pages.harness.htm");
    std::fs::write(
        &harness,
        format!(
            "<!DOCTYPE html><html><head><title>all</title></head><body>{frames}<pre id=\"result\"></pre>\
<script>window.onload = function () {{ var out = []; \
document.querySelectorAll('iframe').forEach(function (f) {{ var d = f.contentDocument; \
var n = d ? d.querySelectorAll('svg.sequence .message, svg.sequence .note').length : -1; \
out.push(f.getAttribute('src') + ' ' + n); \
if (d && /index\\.html$/.test(f.getAttribute('src'))) {{ \
var first = d.querySelector('h1').nextElementSibling; \
var card = d.querySelector('section.scorecard'), table = d.querySelector('table.summary'); \
var above = card && table && card.getBoundingClientRect().top < table.getBoundingClientRect().top; \
out.push('opening ' + (first ? first.tagName.toLowerCase() + '#' + first.id : '-') + ' above:' + above + ' says:' + (card ? card.innerText.replace(/\\s+/g, ' ') : '-')); }} }}); \
document.getElementById('result').textContent = out.join('\\n'); }};</script></body></html>"
        ),
    )
    .unwrap();
    let (dom, log) = headless(
        browser,
        &["--allow-file-access-from-files", "--dump-dom"],
        &harness,
    );
    std::fs::remove_file(&harness).unwrap();
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(
        console.is_empty(),
        "console messages:\n{}",
        console.join("\n")
    );
    let result = dom
        .split("<pre id=\"result\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_default();
    // The index opens with the provider scorecard, drawn above the table.
    let opening = result
        .lines()
        .find_map(|l| l.strip_prefix("opening "))
        .unwrap_or_else(|| panic!("the browser did not report the index's opening: {result}"));
    assert!(
        opening.starts_with("section#scorecard above:true says:Provider scorecard"),
        "the index opens with: {opening}"
    );
    assert!(opening.contains("every attack refused"), "{opening}");
    let counts: Vec<(&str, i64)> = result
        .lines()
        .filter(|l| !l.starts_with("opening "))
        .filter_map(|l| l.rsplit_once(' '))
        .map(|(page, n)| (page, n.parse().unwrap_or(-1)))
        .collect();
    assert_eq!(
        counts.len(),
        pages.len(),
        "the browser reported on every page: {result}"
    );
    for (page, n) in counts {
        if page.ends_with("index.html") {
            continue;
        }
        assert!(n > 0, "{page}: the diagram is empty or was not built ({n})");
    }

    // Screenshots for a reader of the test output.
    for (page, shot) in [
        ("index.html", "index.png"),
        ("attack_state_mismatch.html", "attack_state_mismatch.png"),
    ] {
        let shot_path = dir.join(shot);
        let (_, log) = headless(
            browser,
            &[
                "--window-size=1280,1600",
                &format!("--screenshot={}", shot_path.display()),
            ],
            &dir.join(page),
        );
        let size = std::fs::metadata(&shot_path)
            .unwrap_or_else(|_| panic!("no screenshot of {page}: {log}"))
            .len();
        assert!(size > 10_000, "{page}: a blank screenshot ({size} bytes)");
    }
}

/// A report of `stories`, written to a directory of its own; its index.
fn index_of(name: &str, stories: &[&str]) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let out = Command::new(env!("CARGO_BIN_EXE_orchestrator"))
        .arg("run")
        .args(stories)
        .args(["--format", "html", "--force", "--out"])
        .arg(&dir)
        .env_remove("ORCHESTRATOR_AS")
        .env_remove("ORCHESTRATOR_RP")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(dir.join("index.html")).unwrap()
}

#[test]
fn the_index_opens_with_the_provider_scorecard_when_the_run_has_attacks() {
    let index = index_of(
        "html-scorecard",
        &["oauth2_cc", "attack_code_replay", "attack_id_token_hs256"],
    );
    let body = &index[index.find("<body>").unwrap()..];
    let after_title = &body[body.find("</h1>").unwrap() + "</h1>".len()..];
    assert!(
        after_title.starts_with(
            "<section class=\"scorecard\" id=\"scorecard\"><h2>Provider scorecard</h2>"
        ),
        "the scorecard comes first: {}",
        &after_title[..200.min(after_title.len())]
    );
    let card = &after_title[..after_title.find("</section>").unwrap()];
    assert!(
        card.contains("Attacks on the provider:</strong> 1 run: 1 refused"),
        "{card}"
    );
    assert!(card.contains("Our client's defences</strong>"), "{card}");
    assert!(card.contains("every attack refused"), "{card}");
    assert!(
        after_title.find("<table class=\"summary\">").unwrap() > card.len(),
        "the story list follows"
    );
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-scorecard");
    let page = std::fs::read_to_string(dir.join("attack_code_replay.html")).unwrap();
    assert!(page.contains("<p class=\"kind\">Attack: the provider must refuse</p>"));
    let page = std::fs::read_to_string(dir.join("attack_id_token_hs256.html")).unwrap();
    assert!(page.contains("<p class=\"kind\">Attack: our client must refuse</p>"));

    // A run of usage stories keeps its index as it was.
    let index = index_of("html-usage", &["oauth2_cc"]);
    assert!(!index.contains("<section class=\"scorecard\""));
    assert!(index.contains("</h1><p class=\"totals\">"));
}

/// The text of a copy block (`<pre id="ID">…</pre>`) of a page.
fn copy_text<'a>(page: &'a str, id: &str) -> Option<&'a str> {
    let start = page.find(&format!("<pre id=\"{id}\">"))?;
    let text = &page[start..];
    Some(&text[..text.find("</pre>")?])
}

#[test]
fn copy_as_curl_of_a_grpc_run_targets_the_as_http_front_and_carries_no_secret() {
    let _ = index_of("copy-commands", &["oauth2_cc"]);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("copy-commands");
    let page = std::fs::read_to_string(dir.join("oauth2_cc.html")).unwrap();
    // Step 2 is the token request, Basic-authenticated as client_1.
    let curl = copy_text(&page, "curl-2").unwrap();
    assert!(curl.contains("&quot;$AS&quot;&#39;/token&#39;"), "{curl}");
    assert!(!curl.contains("example.com"), "{curl}");
    // client_1's secret, as sent: Basic base64("client_1:another%20password").
    assert!(!curl.contains("Y2xpZW50XzE6"), "{curl}");
    assert!(curl.contains("[redacted]"), "{curl}");
    assert!(
        page.contains("in $AS; secrets left out"),
        "the label says which"
    );
    assert!(copy_text(&page, "grpcurl-2").is_some());
}

/// The report of a `run --plan oidcc-basic` (whose exit status says whether
/// the catalog held every module's story), written to `name`.
fn plan_report(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let out = Command::new(env!("CARGO_BIN_EXE_orchestrator"))
        .args([
            "run",
            "--plan",
            "oidcc-basic",
            "--format",
            "html",
            "--force",
            "--out",
        ])
        .arg(&dir)
        .env_remove("ORCHESTRATOR_AS")
        .env_remove("ORCHESTRATOR_RP")
        .output()
        .unwrap();
    let complete = orchestrator::plan::OIDCC_BASIC
        .modules
        .iter()
        .all(|m| orchestrator::catalog::find(m.story).is_some());
    assert_eq!(
        out.status.success(),
        complete,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

#[test]
fn the_index_of_a_plan_run_shows_the_plan_table_after_the_scorecard() {
    let dir = plan_report("html-plan");
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let card = index.find("<section class=\"scorecard\"").unwrap();
    let plan = index
        .find("<section class=\"plan\" id=\"plan\"><h2>Plan oidcc-basic</h2>")
        .unwrap();
    let summary = index.find("<h2>Summary</h2>").unwrap();
    assert!(card < plan && plan < summary, "scorecard, plan, summary");
    let section = &index[plan..summary];
    assert!(
        section.contains("<tr><th>module</th><th>clause</th><th>story</th><th>outcome</th></tr>")
    );
    assert_eq!(
        section.matches("<tr><td><code>").count(),
        33,
        "a row per module"
    );
    assert!(
        section.contains(
            "<tr><td><code>oidcc-server</code></td><td>OIDC Core §3.1</td><td><a href=\"oidc_code.html\">oidc_code</a></td><td><span class=\"result passed\">passed</span></td></tr>"
        ),
        "{section}"
    );
    assert!(
        section.contains(
            "<td><code>oidcc-userinfo-get</code></td><td>OIDC Core §5.3.1</td><td><a href=\"oidc_code.html\">oidc_code</a></td><td><span class=\"result passed\">passed</span>"
        ),
        "the story two modules name, in both rows"
    );
    assert!(
        section.contains("<td><a href=\"attack_code_replay.html\">attack_code_replay</a></td><td><span class=\"result held\">refused as expected</span>"),
        "{section}"
    );
    assert!(
        section.contains("<p class=\"totals\">33 modules: "),
        "{section}"
    );
}

#[test]
#[ignore = "needs headless Chromium (chromium on PATH); run with --include-ignored, as .ci/run does"]
fn the_plan_table_is_drawn_between_the_scorecard_and_the_summary() {
    let browser = chromium();
    let dir = plan_report("html-plan-browser");
    let harness = dir.join("plan.harness.htm");
    std::fs::write(
        &harness,
        format!(
            "<!DOCTYPE html><html><head><title>plan</title></head><body>\
<iframe src=\"{}\" width=\"1280\" height=\"800\"></iframe><pre id=\"result\"></pre>\
<script>window.onload = function () {{ var d = document.querySelector('iframe').contentDocument; \
var top = function (q) {{ var e = d.querySelector(q); return e ? e.getBoundingClientRect().top : -1; }}; \
var rows = d.querySelectorAll('table.plan tr').length; \
var drawn = d.querySelector('table.plan').getBoundingClientRect().height; \
document.getElementById('result').textContent = 'order ' + (top('section.scorecard') < top('section.plan') && top('section.plan') < top('table.summary')) + ' rows ' + rows + ' drawn ' + (drawn > 0); }};</script></body></html>",
            dir.join("index.html").display()
        ),
    )
    .unwrap();
    let (dom, log) = headless(
        browser,
        &["--allow-file-access-from-files", "--dump-dom"],
        &harness,
    );
    std::fs::remove_file(&harness).unwrap();
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(
        console.is_empty(),
        "console messages:\n{}",
        console.join("\n")
    );
    assert!(
        dom.contains("<pre id=\"result\">order true rows 34 drawn true</pre>"),
        "the browser reported: {}",
        dom.split("<pre id=\"result\">").nth(1).unwrap_or(&dom)
    );
}

/// Whether a character is an emoji or a symbol only emoji and symbol fonts
/// draw: the pictographs (U+1F000–U+1FAFF), the miscellaneous symbols and
/// dingbats (U+2600–U+27BF: ⚠ ✓ ✗ ✅ ❌), the technical and geometric
/// symbols with emoji forms (U+2300–U+23FF, U+25A0–U+25FF), the arrows with
/// emoji forms (U+2194–U+21FF: ↩, not ← and →), the supplemental arrows
/// and symbols (U+2900–U+297F, U+2B00–U+2BFF), ℹ, the variation selectors
/// and the zero-width joiner that make emoji sequences, and the tags.
fn emoji(c: char) -> bool {
    matches!(
        u32::from(c),
        0x1F000..=0x1FAFF
            | 0x2600..=0x27BF
            | 0x2300..=0x23FF
            | 0x25A0..=0x25FF
            | 0x2194..=0x21FF
            | 0x2900..=0x297F
            | 0x2B00..=0x2BFF
            | 0x2139
            | 0x200D
            | 0xFE00..=0xFE0F
            | 0xE0000..=0xE007F
    )
}

#[test]
fn no_page_of_the_report_holds_an_emoji() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-glyphs");
    write_report(&dir);
    let pages = pages(&dir);
    assert_eq!(pages.len(), orchestrator::catalog::all().count() + 1);
    let mut found = Vec::new();
    for page in &pages {
        let html = std::fs::read_to_string(page).unwrap();
        for (line, text) in html.lines().enumerate() {
            for c in text.chars().filter(|c| emoji(*c)) {
                found.push(format!(
                    "{}:{}: U+{:04X} {c}",
                    page.display(),
                    line + 1,
                    u32::from(c)
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "emoji in the report:\n{}",
        found.join("\n")
    );
    // The marks are drawn instead: a passed check, a held defence.
    let page = std::fs::read_to_string(dir.join("attack_state_mismatch.html")).unwrap();
    assert!(
        page.contains("<svg class=\"icon\""),
        "the marks are inline SVG"
    );
    assert!(page.contains("</svg> refused (the defence held)</td>"));
    assert!(page.contains("</svg> passed</td>"));
}

#[test]
fn the_discovery_label_is_drawn_whole_on_two_lines() {
    let _ = index_of("html-discovery", &["oidc_code"]);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-discovery");
    let page = std::fs::read_to_string(dir.join("oidc_code.html")).unwrap();
    let figure = &page[page.find("<svg class=\"sequence\"").unwrap()..];
    let figure = &figure[..figure.find("</svg>").unwrap()];
    let discovery = figure
        .split("<g class=\"message call\">")
        .find(|g| {
            g.contains(
                "<title>ProviderConfiguration: GET /.well-known/openid-configuration</title>",
            )
        })
        .unwrap_or_else(|| panic!("no discovery arrow: {figure}"));
    let spans: Vec<&str> = discovery
        .split("<tspan ")
        .skip(1)
        .filter_map(|t| t.split_once('>'))
        .filter_map(|(_, rest)| rest.split("</tspan>").next())
        .collect();
    assert_eq!(
        spans,
        [
            "ProviderConfiguration: GET",
            "/.well-known/openid-configuration"
        ],
        "{discovery}"
    );
}

#[test]
fn json_wraps_between_tokens_and_inside_a_value_only_where_nothing_else_fits() {
    let _ = index_of("html-wrap", &["oidc_code"]);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-wrap");
    let page = std::fs::read_to_string(dir.join("oidc_code.html")).unwrap();
    let style = &page[page.find("<style>").unwrap()..page.find("</style>").unwrap()];
    assert!(
        style.contains(
            "pre, td code, .compact, .note code { overflow-wrap: anywhere; word-break: normal; }"
        ),
        "{style}"
    );
    assert!(
        !style.contains("break-all"),
        "nothing breaks between any two letters"
    );
    assert!(
        style.contains("white-space: pre-wrap"),
        "pre breaks at its spaces"
    );
    // Compact JSON has opportunities between its tokens, which copy nothing.
    let grpcurl = copy_text(&page, "grpcurl-1").unwrap();
    assert!(
        grpcurl.contains("{&quot;method&quot;:<wbr>&quot;GET&quot;,<wbr>&quot;url&quot;:<wbr>"),
        "{grpcurl}"
    );
}

/// Run in a story page framed 1000 pixels wide: every line break the
/// browser made inside `pre`, `td code` and the compact JWTs, by where each
/// character is drawn. A break between two word characters is inside a
/// token; it is wrong where the line it ends had a space to break at.
const WRAP_CHECK: &str = r##"
window.onload = function () {
  var d = document.querySelector('iframe').contentDocument;
  var wraps = 0, between = 0, inside = 0, wrong = [];
  d.querySelectorAll('pre, td code, p.compact').forEach(function (el) {
    if (!el.getClientRects().length) { return; }
    var chars = [];
    var walk = d.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (var n = walk.nextNode(); n; n = walk.nextNode()) {
      for (var i = 0; i < n.data.length; i++) { chars.push([n, i, n.data[i]]); }
    }
    var range = d.createRange(), top = null, start = 0;
    for (var k = 0; k < chars.length; k++) {
      if (chars[k][2] === '\n') { top = null; start = k + 1; continue; }
      range.setStart(chars[k][0], chars[k][1]);
      range.setEnd(chars[k][0], chars[k][1] + 1);
      var rect = range.getBoundingClientRect();
      if (rect.width === 0 && rect.height === 0) { continue; }
      if (top !== null && rect.top > top + 2) {
        wraps++;
        var a = chars[k - 1][2], b = chars[k][2];
        var line = chars.slice(start, k).map(function (c) { return c[2]; }).join('');
        if (/\w/.test(a) && /\w/.test(b)) {
          inside++;
          if (/\S\s+\S/.test(line)) { wrong.push(line.slice(-50) + ' | ' + b); }
        } else {
          between++;
        }
        start = k;
      }
      top = rect.top;
    }
  });
  document.getElementById('result').textContent = 'wraps ' + wraps + ' between ' + between +
    ' inside ' + inside + ' wrong ' + wrong.length + '\n' + wrong.slice(0, 5).join('\n');
};
"##;

#[test]
#[ignore = "needs headless Chromium (chromium on PATH); run with --include-ignored, as .ci/run does"]
fn long_lines_wrap_at_token_boundaries_and_break_a_value_only_where_nothing_else_fits() {
    let browser = chromium();
    let _ = index_of("html-wrap-browser", &["oidc_code"]);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("html-wrap-browser");
    let harness = dir.join("wrap.harness.htm");
    std::fs::write(
        &harness,
        format!(
            "<!DOCTYPE html><html><head><title>wrap</title></head><body>\
<iframe src=\"{}\" width=\"1000\" height=\"800\"></iframe><pre id=\"result\"></pre>\
<script>{WRAP_CHECK}</script></body></html>",
            dir.join("oidc_code.html").display()
        ),
    )
    .unwrap();
    let (dom, log) = headless(
        browser,
        &["--allow-file-access-from-files", "--dump-dom"],
        &harness,
    );
    std::fs::remove_file(&harness).unwrap();
    let result = dom
        .split("<pre id=\"result\">")
        .nth(1)
        .and_then(|rest| rest.split("</pre>").next())
        .unwrap_or_else(|| panic!("no result from the browser: {log}"));
    let count = |what: &str| -> usize {
        result
            .split_whitespace()
            .skip_while(|w| *w != what)
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("the browser reported: {result}"))
    };
    // Long lines did wrap, most of them between tokens; the JWTs and other
    // unbroken values were broken inside, on lines with nowhere else.
    assert!(count("between") > 10, "{result}");
    assert!(count("inside") > 0, "{result}");
    assert_eq!(
        count("wrong"),
        0,
        "a line broken mid-word where a space would do: {result}"
    );
}
