//! The status page, loaded in a real browser (Debian's headless Chromium): every backend
//! shows with its state. The DOM is read back with `--dump-dom`; a screenshot is kept
//! beside it for people.

mod common;

use common::backend::{Mode, backends};
use common::*;
use hickory_proto::rr::RecordType;
use std::process::Command;
use std::time::{Duration, Instant};

fn chromium() -> &'static str {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if Command::new("which")
            .arg(c)
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return c;
        }
    }
    panic!("Chromium is not installed (apt-get install chromium)");
}

/// Flags that keep Chromium off the network (FACTS.md): only the page we ask for.
fn browse(url: &str, profile: &std::path::Path, mode: &str) -> std::process::Output {
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1200,1400",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(mode)
        .arg(url)
        .output()
        .expect("run chromium")
}

#[test]
fn status_page_shows_every_backend_with_its_state_in_chromium() {
    let ips = ["127.0.0.31", "127.0.0.32", "127.0.0.33"];
    let (port, b) = backends(&ips, None);
    let zone = "$TTL 300\n@ SOA ns hostmaster 7 3600 900 604800 60\n@ NS ns\nns A 127.0.0.53\n\
                web A 127.0.0.31\n A 127.0.0.32\n A 127.0.0.33\n";
    let cfg = format!(
        "listen: [\"127.0.0.1:{{PORT}}\"]\nadmin: \"127.0.0.1:{{ADMIN}}\"\nstate_dir: state\nzones: [{{ name: p.test., file: p.zone }}]\n\
pools:\n  web.p.test.:\n    check: web\n    weighting: order\n    weights: {{ \"127.0.0.31\": 3 }}\n\
checks:\n  web:\n    type: http\n    port: {port}\n    interval: 1s\n    timeout: 400ms\n    fall: 1\n"
    );
    let s = Server::start(&cfg, &[("p.zone", zone)]);
    b[1].set(Mode::Status500);
    assert_eq!(
        s.http("POST", "/api/backends/127.0.0.33/drain", None).0,
        200
    );
    let t = Instant::now();
    while s.udp("web.p.test.", RecordType::A).answers.len() != 1 {
        assert!(t.elapsed() < Duration::from_secs(5), "{}", s.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    let url = format!("http://127.0.0.1:{}/", s.admin);
    let profile = tempfile::tempdir().unwrap();
    let out = browse(&url, profile.path(), "--dump-dom");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("<h1>rrdns"),
        "page rendered: {dom}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (ip, state) in [
        ("127.0.0.31", "up"),
        ("127.0.0.32", "down"),
        ("127.0.0.33", "drained"),
    ] {
        let row = format!("data-address=\"{ip}\" data-state=\"{state}\"");
        assert!(dom.contains(&row), "{ip} shown as {state}:\n{dom}");
    }
    assert!(
        dom.contains("p.test.") && dom.contains(">7<"),
        "zone and serial shown"
    );
    assert!(dom.contains("status 500"), "last probe result shown");
    // A screenshot for people (target/status-page.png); its existence is checked.
    let shot = root().join("target").join("status-page.png");
    let profile = tempfile::tempdir().unwrap();
    let out = browse(
        &url,
        profile.path(),
        &format!("--screenshot={}", shot.display()),
    );
    assert!(
        out.status.success() && shot.exists(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
