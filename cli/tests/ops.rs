//! `sbcctl apply`, `status` and `diff --admin` against a host running in this process, and
//! `sbcctl run`'s signals (SIGHUP reload, SIGTERM drain) on a child process.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sbcctl_compiler::{Options, compile_file};
use sbcctl_runtime::{Host, HostOptions};

const SPEC: &str = r#"
version: 1
interfaces:
  lan: { transport: udp, listen: 127.0.0.1:0 }
peers:
  echo: { echo: {} }
routes:
  - { name: barred, when: { request_user: { prefix: "900" } }, to: { reject: { code: REJECT } } }
admin: { listen: 127.0.0.1:0, token_file: admin.token }
"#;

fn sbcctl(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sbcctl"))
        .args(args)
        .current_dir(dir)
        .env_remove("SBCCTL_ADMIN")
        .env_remove("SBCCTL_TOKEN_FILE")
        .stdin(Stdio::null())
        .output()
        .expect("binary runs")
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A directory with `spec.yaml` (reject code 403) and the admin token.
fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sbcctl-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tempdir");
    std::fs::write(dir.join("admin.token"), "t0ken\n").expect("token");
    std::fs::write(dir.join("spec.yaml"), SPEC.replace("REJECT", "403")).expect("spec");
    dir
}

/// As `run`, `apply` and `diff --admin` compile: from the spec's absolute path.
fn compile(path: &Path) -> sbcctl_compiler::plan::Plan {
    let path = path.canonicalize().expect("spec exists");
    compile_file(&path, Options { pure: true })
        .expect("read")
        .plan
        .expect("compiles")
}

#[test]
fn apply_status_and_diff_against_a_running_host() {
    let dir = workdir("apply");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let host = rt
        .block_on(Host::start(
            Arc::new(compile(&dir.join("spec.yaml"))),
            HostOptions::default(),
        ))
        .expect("host");
    let url = format!("http://{}", host.admin_addr().expect("admin"));
    let auth = ["--admin", url.as_str(), "--token-file", "admin.token"];

    // status: a table, or JSON.
    let o = sbcctl(&[&["status"][..], &auth].concat(), &dir);
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains(&format!("plan {}", &host.plan().hash[..12])),
        "{text}"
    );
    assert!(text.contains("  lan   udp"), "{text}");
    let o = sbcctl(&[&["status", "--format", "json"][..], &auth].concat(), &dir);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(
        json["plan_hash"],
        serde_json::Value::from(host.plan().hash.clone())
    );
    // A wrong token is refused.
    std::fs::write(dir.join("wrong.token"), "nope").expect("token");
    let o = sbcctl(
        &["status", "--admin", &url, "--token-file", "wrong.token"],
        &dir,
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(out(&o).contains("401"), "{}", out(&o));

    // diff --admin: nothing yet, then the edited spec.
    let o = sbcctl(
        &[&["diff", "--exit-code", "spec.yaml"][..], &auth].concat(),
        &dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    std::fs::write(dir.join("spec.yaml"), SPEC.replace("REJECT", "603")).expect("spec");
    let o = sbcctl(
        &[&["diff", "--exit-code", "spec.yaml"][..], &auth].concat(),
        &dir,
    );
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    assert!(out(&o).contains("~ barred"), "{}", out(&o));

    // apply: without a terminal it wants --yes; with it, the plan runs.
    let o = sbcctl(&[&["apply", "spec.yaml"][..], &auth].concat(), &dir);
    assert_eq!(o.status.code(), Some(2), "{}", out(&o));
    assert!(out(&o).contains("--yes"), "{}", out(&o));
    let o = sbcctl(
        &[&["apply", "spec.yaml", "--yes"][..], &auth].concat(),
        &dir,
    );
    assert_eq!(o.status.code(), Some(0), "{}", out(&o));
    let text = out(&o);
    assert!(
        text.contains("~ barred") && text.contains("Applied plan"),
        "{text}"
    );
    assert_eq!(host.plan().hash, compile(&dir.join("spec.yaml")).hash);
    let o = sbcctl(
        &[&["apply", "spec.yaml", "--yes"][..], &auth].concat(),
        &dir,
    );
    assert!(out(&o).contains("already runs this plan"), "{}", out(&o));

    // A spec that does not compile is never sent.
    std::fs::write(dir.join("bad.yaml"), "version: 1\ninterfaces: 3\n").expect("spec");
    let o = sbcctl(&[&["apply", "bad.yaml", "--yes"][..], &auth].concat(), &dir);
    assert_eq!(o.status.code(), Some(1), "{}", out(&o));
    rt.block_on(host.shutdown());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Lines of a child's stdout, read on a thread.
fn lines(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

#[cfg(unix)]
#[test]
fn run_reloads_on_sighup_and_drains_on_sigterm() {
    let dir = workdir("run");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sbcctl"))
        .args(["run", "spec.yaml", "--drain-secs", "5"])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run starts");
    let rx = lines(&mut child);
    let mut admin = None;
    let deadline = Instant::now() + Duration::from_secs(20);
    while admin.is_none() && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200))
            && let Some(rest) = line.trim().strip_prefix("admin API    ")
        {
            admin = rest.split_whitespace().next().map(str::to_owned);
        }
    }
    let url = admin.expect("the banner names the admin endpoint");
    let auth = ["--admin", url.as_str(), "--token-file", "admin.token"];
    let before = compile(&dir.join("spec.yaml")).hash;
    std::fs::write(dir.join("spec.yaml"), SPEC.replace("REJECT", "603")).expect("spec");
    let after = compile(&dir.join("spec.yaml")).hash;
    let signal = |name: &str| {
        let ok = Command::new("kill")
            .args([name, &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(ok.success());
    };
    signal("-HUP");
    let mut running = before.clone();
    for _ in 0..100 {
        let o = sbcctl(&[&["status", "--format", "json"][..], &auth].concat(), &dir);
        let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_default();
        running = json["plan_hash"].as_str().unwrap_or_default().to_owned();
        if running == after {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(running, after, "SIGHUP applied the edited spec");

    signal("-TERM");
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "stops in time");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(0));
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr);
    assert!(stderr.contains("draining"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}
