//! `sbcctl status --admin URL`: what the running SBC is doing, as tables or as JSON.
//!
//! Exit codes: 0, 2 when the admin endpoint cannot be reached or refuses the token.

use std::fmt::Write as _;
use std::process::ExitCode;

use clap::{Args, ValueEnum};
use serde_json::Value;

use super::apply::{AdminArgs, short};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    Human,
    Json,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub admin: AdminArgs,
    #[arg(long, value_enum, default_value_t = StatusFormat::Human)]
    pub format: StatusFormat,
}

pub fn run(args: &StatusArgs) -> anyhow::Result<ExitCode> {
    let client = args.admin.client()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let status = runtime.block_on(client.status())?;
    match args.format {
        StatusFormat::Json => println!("{}", serde_json::to_string_pretty(&status)?),
        StatusFormat::Human => print!("{}", render(&status)),
    }
    Ok(ExitCode::SUCCESS)
}

/// The status as a few aligned tables.
pub fn render(s: &Value) -> String {
    let mut out = String::new();
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    };
    let _ = writeln!(
        out,
        "plan {}{}",
        short(s["plan_hash"].as_str().unwrap_or("?")),
        if s["draining"].as_bool() == Some(true) {
            "   DRAINING: new calls get 503"
        } else {
            ""
        }
    );
    let list = |key: &str| s[key].as_array().cloned().unwrap_or_default();
    let core = &s["core"];
    table(
        &mut out,
        "interfaces",
        &["NAME", "TRANSPORT", "LISTEN", "FLOWS"],
        list("interfaces")
            .iter()
            .map(|i| {
                vec![
                    text(&i["name"]),
                    text(&i["transport"]),
                    text(&i["listen"]),
                    text(&i["flows"]),
                ]
            })
            .collect(),
    );
    table(
        &mut out,
        "registrations",
        &["PEER", "AORS", "BINDINGS"],
        core["users"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|u| vec![text(&u["peer"]), text(&u["aors"]), text(&u["bindings"])])
            .collect(),
    );
    let calls = &core["counters"]["calls"];
    let _ = writeln!(
        out,
        "calls\n  active {}   started {}   answered {}   failed {}",
        text(&core["active_calls"]),
        text(&calls["started"]),
        text(&calls["answered"]),
        text(&calls["failed"])
    );
    table(
        &mut out,
        "proxies",
        &["PEER", "ADDRESS", "STATE"],
        core["proxies"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                let state = match (p["up"].as_bool(), p["monitored"].as_bool()) {
                    (Some(true), Some(false)) => "up (not monitored)",
                    (Some(true), _) => "up",
                    _ => "DOWN",
                };
                vec![text(&p["peer"]), text(&p["address"]), state.into()]
            })
            .collect(),
    );
    table(
        &mut out,
        "applies",
        &["AT", "SOURCE", "RESULT", "PLAN", "MESSAGE"],
        list("applies")
            .iter()
            .rev()
            .take(5)
            .map(|a| {
                vec![
                    text(&a["at"]),
                    text(&a["source"]),
                    text(&a["result"]),
                    short(a["hash"].as_str().unwrap_or("")).to_owned(),
                    text(&a["message"]),
                ]
            })
            .collect(),
    );
    out
}

/// A titled table with columns as wide as their widest cell; `(none)` when empty.
fn table(out: &mut String, title: &str, header: &[&str], rows: Vec<Vec<String>>) {
    let _ = writeln!(out, "{title}");
    if rows.is_empty() {
        let _ = writeln!(out, "  (none)");
        return;
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("  {}\n", padded.join("  ").trim_end())
    };
    out.push_str(&line(header.to_vec()));
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_and_say_none() {
        let s = serde_json::json!({
            "plan_hash": "0123456789abcdef",
            "draining": false,
            "interfaces": [
                {"name": "browsers", "transport": "ws", "listen": "127.0.0.1:8080", "flows": 12},
                {"name": "lan", "transport": "udp", "listen": "10.0.0.5:5060", "flows": 1}
            ],
            "core": {
                "users": [{"peer": "web-users", "aors": 2, "bindings": 3}],
                "active_calls": 1,
                "counters": {"calls": {"started": 4, "answered": 3, "failed": 1}},
                "proxies": []
            },
            "applies": []
        });
        let text = render(&s);
        assert!(text.starts_with("plan 0123456789ab\n"), "{text}");
        assert!(
            text.contains("  NAME      TRANSPORT  LISTEN          FLOWS\n"),
            "{text}"
        );
        assert!(
            text.contains("  browsers  ws         127.0.0.1:8080  12\n"),
            "{text}"
        );
        assert!(text.contains("proxies\n  (none)\n"), "{text}");
        assert!(
            text.contains("active 1   started 4   answered 3   failed 1"),
            "{text}"
        );
    }
}
