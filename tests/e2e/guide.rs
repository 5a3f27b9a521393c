//! The user guide's examples, run: every ```bash block of docs/user-guide.md, in order, as one
//! script against the real `yika` binary.

use std::io::Read;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::support::YIKA;

/// The guide, read at run time so the test always runs the current text.
const GUIDE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/user-guide.md");

/// How long the whole session may take before its process group is killed.
const TIMEOUT: Duration = Duration::from_secs(60);

#[test]
fn user_guide_examples_run() {
    // Goal: the guide's bash blocks run as written (bash -euo pipefail, exit 0) on a fresh data
    // directory and a free port, and print the figures the guide promises.
    let guide = std::fs::read_to_string(GUIDE).expect("docs/user-guide.md is readable");
    let blocks = bash_blocks(&guide);
    assert!(
        blocks.len() >= 10,
        "expected the whole session in ```bash blocks, found {}",
        blocks.len()
    );
    let script = blocks.join("\n");

    let work = tempfile::tempdir().expect("a temporary directory");
    let data = tempfile::tempdir().expect("a temporary data directory");
    let script_path = work.path().join("user-guide.sh");
    std::fs::write(&script_path, &script).expect("the script is written");
    let port = free_port();

    let mut child = Command::new("bash")
        .arg("-euo")
        .arg("pipefail")
        .arg(&script_path)
        .current_dir(work.path())
        .env("YIKA", YIKA)
        .env("YIKA_DATA", data.path())
        .env("YIKA_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .env_remove("URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so the server the script starts can be killed with it.
        .process_group(0)
        .spawn()
        .expect("bash starts");
    let group = ProcessGroup(child.id());
    let stdout = drain(child.stdout.take().expect("stdout is piped"));
    let stderr = drain(child.stderr.take().expect("stderr is piped"));

    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the script can be waited for") {
            break Some(status);
        }
        if started.elapsed() > TIMEOUT {
            group.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    // Whatever happened, nothing the script started outlives it (this also closes the pipes).
    drop(group);
    let stdout = stdout.join().expect("stdout is read");
    let stderr = stderr.join().expect("stderr is read");
    let report = format!(
        "--- stdout\n{stdout}\n--- stderr\n{stderr}\n--- script\n{}",
        numbered(&script)
    );

    let status = status
        .unwrap_or_else(|| panic!("the guide's session took more than {TIMEOUT:?}\n{report}"));
    assert!(
        status.success(),
        "the guide's session failed ({status})\n{report}"
    );

    let listening = format!("yika listening on http://127.0.0.1:{port}/graphql");
    assert!(
        stdout.lines().any(|line| line.starts_with(&listening)),
        "the server ran on the test's port\n{report}"
    );
    for fact in [
        "ok",
        "balance after deposit: 500.00",
        "balance after deductions: 294.70",
        "retried deduction is the same: true",
        "balance after the retry: 294.70",
        "refused: INSUFFICIENT_BALANCE",
        "card balance: 0.00",
        "card status: CLOSED",
        "variance: 0.00",
        "shift status: HANDED_OVER",
        "daily report balances: true",
        "settled balance: 0.00",
        "workload rows: 1",
        "hash chain: intact",
        r#"then: {"status":"OPEN","balance":"500.00"}  now: {"status":"CLOSED","balance":"0.00"}"#,
        "a mutation on the replay: FORBIDDEN",
        "<title>Yika GraphiQL</title>",
        "server stopped",
        "roles: ADMIN AUDITOR CASHIER CONTROLLER DEPARTMENT SUPERVISOR",
        "<title>Yika 看板 · Dashboard</title>",
    ] {
        assert!(
            stdout.lines().any(|line| line == fact),
            "the session did not print {fact:?}\n{report}"
        );
    }
    assert!(
        data.path().join("events.db").exists(),
        "the session used the test's data directory"
    );
}

/// The contents of every block fenced exactly as ```bash, in order.
fn bash_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match current.as_mut() {
            None if line.trim_end() == "```bash" => current = Some(String::new()),
            None => {}
            Some(_) if line.trim_start().starts_with("```") => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
        }
    }
    assert!(current.is_none(), "an unclosed ```bash block in the guide");
    blocks
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// Reads a pipe to its end on a thread.
fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The script with line numbers, to match bash's error messages.
fn numbered(script: &str) -> String {
    script
        .lines()
        .enumerate()
        .map(|(n, line)| format!("{:4} {line}\n", n + 1))
        .collect()
}

/// A process group (led by the script's bash), killed on drop.
struct ProcessGroup(u32);

impl ProcessGroup {
    fn kill(&self) {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.0)])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        self.kill();
    }
}

#[test]
fn bash_blocks_are_taken_in_order_and_nothing_else() {
    // Goal: only blocks fenced exactly ```bash are extracted; json, text and graphql are not.
    let markdown = "intro\n```bash\necho one\n```\n```json\n{}\n```\n```text\nout\n```\n```bash\necho two\n```\n";
    assert_eq!(bash_blocks(markdown), ["echo one\n", "echo two\n"]);
    assert!(
        Path::new(GUIDE).exists(),
        "the guide is where the test looks"
    );
}
