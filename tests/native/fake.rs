//! The project's fake Confluence (`js-tests/fake-server`), started from a test: `node
//! tests/native/fake.mjs` on 127.0.0.1 port 0, driven over its stdin and stdout, killed on drop.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{json, Value};

/// How long a command to the fake may take before the test fails (it answers in microseconds;
/// this only bounds a fake that died or hung).
const REPLY_TIMEOUT: Duration = Duration::from_secs(20);

/// A running fake Confluence.
pub struct Fake {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// What the fake printed when it was ready: `credentials` and `special` (server.mjs's
    /// `CREDENTIALS` and `SPECIAL`), and every user's `accountIds`, `usernames`, `userKeys`.
    pub ready: Value,
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

/// One request the fake recorded.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub path: String,
    pub raw_query: String,
    pub query: Value,
    /// `basic`, `bearer`, `none`, `invalid`, or empty for canned answers.
    pub auth: String,
}

impl Recorded {
    /// The decoded values of query parameter `name`.
    pub fn values(&self, name: &str) -> Vec<String> {
        self.query[name]
            .as_array()
            .map(|v| {
                v.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The comma-separated values of the one parameter `name` (`accountId=a,b,c`).
    pub fn comma_values(&self, name: &str) -> Vec<String> {
        self.values(name)
            .iter()
            .flat_map(|v| v.split(',').map(str::to_owned).collect::<Vec<_>>())
            .collect()
    }
}

impl Fake {
    /// Starts the fake with `options` (`startFakeConfluence`'s: `userCount`, `legacyCount`,
    /// `migrationPageCap`, `latencyMs`). Panics (failing the test) when Node cannot run it:
    /// `js-tests/setup.sh`'s `ensure_base_tools` checks for Node before `cargo test` runs.
    pub fn start(options: Value) -> Fake {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new("node")
            .arg(root.join("tests/native/fake.mjs"))
            .arg(options.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("could not start node (the fake Confluence needs Node.js 18+): {e}")
            });
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = child.stdout.take().expect("piped stdout");
        let lines = read_lines(stdout);
        let mut fake = Fake {
            url: String::new(),
            ready: Value::Null,
            child,
            stdin,
            lines,
        };
        let ready = fake.next_line();
        fake.url = ready["url"]
            .as_str()
            .unwrap_or_else(|| panic!("the fake's first line has no url: {ready}"))
            .to_owned();
        fake.ready = ready;
        assert!(
            fake.url.starts_with("http://127.0.0.1:"),
            "the fake must listen on 127.0.0.1 only: {}",
            fake.url
        );
        fake
    }

    /// `SPECIAL[key]`, e.g. `currentUser`.
    pub fn special(&self, key: &str) -> String {
        self.text(&self.ready["special"][key])
    }

    /// `CREDENTIALS[key]`: `email`, `apiToken` or `oauthToken`.
    pub fn credential(&self, key: &str) -> String {
        self.text(&self.ready["credentials"][key])
    }

    /// The directory's users' `accountIds`, `usernames` or `userKeys`.
    pub fn users(&self, list: &str) -> Vec<String> {
        self.ready[list]
            .as_array()
            .unwrap_or_else(|| panic!("no {list} in the ready line"))
            .iter()
            .map(|v| self.text(v))
            .collect()
    }

    fn text(&self, v: &Value) -> String {
        v.as_str()
            .unwrap_or_else(|| panic!("expected a string, got {v}"))
            .to_owned()
    }

    /// The default fake: 300 users.
    pub fn new() -> Fake {
        Fake::start(json!({}))
    }

    fn next_line(&mut self) -> Value {
        let line = self.lines.recv_timeout(REPLY_TIMEOUT).unwrap_or_else(|e| {
            panic!("the fake did not answer within {REPLY_TIMEOUT:?}: {e}");
        });
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("bad line from the fake {line:?}: {e}"))
    }

    fn command(&mut self, command: Value) -> Value {
        writeln!(self.stdin, "{command}").expect("the fake's stdin");
        self.stdin.flush().expect("the fake's stdin");
        let reply = self.next_line();
        assert_eq!(reply["ok"], true, "the fake refused {command}: {reply}");
        reply
    }

    /// Queues answers (canned `{status, headers, body}` or `{"fault": ...}`), consumed FIFO.
    pub fn enqueue(&mut self, items: Vec<Value>) {
        self.command(json!({ "op": "enqueue", "items": items }));
    }

    /// Every request recorded since the start or the last [`Fake::reset`].
    pub fn requests(&mut self) -> Vec<Recorded> {
        let reply = self.command(json!({ "op": "requests" }));
        reply["requests"]
            .as_array()
            .expect("requests")
            .iter()
            .map(|r| Recorded {
                path: r["path"].as_str().unwrap_or_default().to_owned(),
                raw_query: r["rawQuery"].as_str().unwrap_or_default().to_owned(),
                query: r["query"].clone(),
                auth: r["auth"].as_str().unwrap_or_default().to_owned(),
            })
            .collect()
    }

    /// For each fault handler queued since the last reset, in order: for each request it
    /// answered, whether its connection has closed since.
    pub fn hits(&mut self) -> Vec<Vec<bool>> {
        let reply = self.command(json!({ "op": "hits" }));
        reply["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .map(|h| {
                h.as_array()
                    .expect("hit list")
                    .iter()
                    .map(|hit| hit["closed"] == true)
                    .collect()
            })
            .collect()
    }

    /// The most requests that were in flight at once.
    pub fn max_in_flight(&mut self) -> u64 {
        self.command(json!({ "op": "flight" }))["max"]
            .as_u64()
            .expect("max")
    }

    /// Forgets the recorded requests, the queued answers and the in-flight count.
    pub fn reset(&mut self) {
        self.command(json!({ "op": "reset" }));
    }

    /// Delays every normal answer by `ms`.
    pub fn set_latency(&mut self, ms: u64) {
        self.command(json!({ "op": "latency", "ms": ms }));
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        // Closing stdin ends it cleanly; the kill covers a fake that no longer reads.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The child's stdout, line by line, on a thread (so a read can time out).
fn read_lines(stdout: ChildStdout) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// A canned Atlassian v1 error body (`errorBody` in server.mjs).
pub fn error_body(status: u16, message: &str) -> Value {
    json!({
        "statusCode": status,
        "data": {
            "authorized": status != 401 && status != 403,
            "valid": status != 400,
            "errors": [{ "message": { "translation": message, "args": [] } }],
            "successful": false
        },
        "message": message
    })
}

/// A canned answer with this status and Atlassian error body.
pub fn status(code: u16, headers: Value) -> Value {
    json!({ "status": code, "headers": headers, "body": error_body(code, &format!("Status {code}")) })
}

/// `tests/native/tls.mjs`: an HTTPS site on 127.0.0.1 with the test-only certificate of
/// `tests/native/tls-test-only/`, killed on drop.
pub struct TlsSite {
    /// `https://127.0.0.1:PORT`.
    pub url: String,
    child: Child,
    // Held open: the site exits when it closes.
    _stdin: ChildStdin,
}

impl TlsSite {
    pub fn start() -> TlsSite {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut child = Command::new("node")
            .arg(root.join("tests/native/tls.mjs"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start node for the TLS site: {e}"));
        let stdin = child.stdin.take().expect("piped stdin");
        let lines = read_lines(child.stdout.take().expect("piped stdout"));
        let ready: Value = lines
            .recv_timeout(REPLY_TIMEOUT)
            .ok()
            .and_then(|line| serde_json::from_str(&line).ok())
            .expect("the TLS site did not start");
        TlsSite {
            url: format!("https://127.0.0.1:{}", ready["port"]),
            child,
            _stdin: stdin,
        }
    }

    /// The test CA that issued the site's certificate (DER).
    pub fn ca() -> Vec<u8> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::read(root.join("tests/native/tls-test-only/ca.der")).expect("the test CA")
    }
}

impl Drop for TlsSite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
