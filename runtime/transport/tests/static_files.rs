//! Static files on a WebSocket interface.

mod common;

use common::{harness, raw_http, tempdir, ws_config};
use sbcctl_transport::{TransportKind, WsConfig};

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
}

fn header<'a>(resp: &'a str, name: &str) -> Option<&'a str> {
    resp.lines().take_while(|l| !l.is_empty()).find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

#[tokio::test]
async fn serves_files_and_refuses_traversal() {
    let h = harness();
    let root = tempdir("static");
    let site = root.join("site");
    std::fs::create_dir_all(site.join("assets")).unwrap();
    std::fs::write(site.join("index.html"), "<h1>demo</h1>").unwrap();
    std::fs::write(site.join("assets/app.js"), "console.log(1)").unwrap();
    std::fs::write(root.join("secret.txt"), "top secret").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(root.join("secret.txt"), site.join("leak.txt")).unwrap();
    let ws = WsConfig {
        path: "/ws".to_owned(),
        static_dir: Some(site.clone()),
        ..WsConfig::default()
    };
    let listener = h
        .transports
        .bind(ws_config(TransportKind::Ws, ws))
        .await
        .unwrap();
    let addr = listener.local_addr();

    let index = raw_http(addr, &get("/")).await;
    assert!(index.starts_with("HTTP/1.1 200"), "{index}");
    assert_eq!(
        header(&index, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(index.ends_with("<h1>demo</h1>"), "{index}");

    let js = raw_http(addr, &get("/assets/app.js")).await;
    assert!(js.starts_with("HTTP/1.1 200"), "{js}");
    assert_eq!(
        header(&js, "content-type"),
        Some("text/javascript; charset=utf-8")
    );

    for attack in [
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/%2e%2e/secret.txt",
    ] {
        let resp = raw_http(addr, &get(attack)).await;
        assert!(resp.starts_with("HTTP/1.1 403"), "{attack}: {resp}");
        assert!(!resp.contains("top secret"), "{attack}: {resp}");
    }
    #[cfg(unix)]
    {
        let resp = raw_http(addr, &get("/leak.txt")).await;
        assert!(resp.starts_with("HTTP/1.1 403"), "symlink: {resp}");
        assert!(!resp.contains("top secret"));
    }
    let missing = raw_http(addr, &get("/nope.css")).await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn missing_build_gives_the_not_built_page() {
    let h = harness();
    let root = tempdir("unbuilt");
    let ws = WsConfig {
        static_dir: Some(root.join("dist")),
        ..WsConfig::default()
    };
    let listener = h
        .transports
        .bind(ws_config(TransportKind::Ws, ws))
        .await
        .unwrap();
    let resp = raw_http(listener.local_addr(), &get("/")).await;
    assert!(resp.starts_with("HTTP/1.1 404"), "{resp}");
    assert_eq!(
        header(&resp, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(resp.contains("The demo page is not built"), "{resp}");
    assert!(
        resp.contains(
            "npm --prefix examples/web ci &amp;&amp; npm --prefix examples/web run build"
        ),
        "{resp}"
    );
    // The directory exists but index.html does not: same page.
    std::fs::create_dir_all(root.join("dist")).unwrap();
    let resp = raw_http(listener.local_addr(), &get("/")).await;
    assert!(resp.contains("The demo page is not built"), "{resp}");
    let _ = std::fs::remove_dir_all(&root);
}

#[tokio::test]
async fn plain_get_without_static_dir_is_not_found() {
    let h = harness();
    let listener = h
        .transports
        .bind(ws_config(TransportKind::Ws, WsConfig::default()))
        .await
        .unwrap();
    let resp = raw_http(listener.local_addr(), &get("/index.html")).await;
    assert!(resp.starts_with("HTTP/1.1 404"), "{resp}");
    let resp = raw_http(listener.local_addr(), &get("/")).await;
    assert!(resp.starts_with("HTTP/1.1 426"), "{resp}");
}
