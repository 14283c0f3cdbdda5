//! SIP capture turned on by an apply: the pcap file it writes is read back with independent
//! parsers (pcap-file for the records, etherparse for IP and UDP).

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use sbcctl_runtime::admin::api::ApplyResult;
use sbcctl_runtime::admin::client::AdminClient;
use sbcctl_runtime::{Host, HostOptions};
use tokio::net::UdpSocket;

const SPEC: &str = r#"
version: 1
interfaces:
  lan: { transport: udp, listen: 127.0.0.1:0 }
admin: { listen: 127.0.0.1:0 }
"#;

/// The datagrams of a capture file: (source, destination, payload).
fn datagrams(path: &std::path::Path) -> Vec<(SocketAddr, SocketAddr, Vec<u8>)> {
    let Ok(file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let Ok(mut reader) = pcap_file::pcap::PcapReader::new(file) else {
        return Vec::new();
    };
    assert_eq!(reader.header().datalink, pcap_file::DataLink::RAW);
    let mut out = Vec::new();
    while let Some(Ok(packet)) = reader.next_packet() {
        let sliced = SlicedPacket::from_ip(&packet.data).expect("a valid IP packet");
        let Some(NetSlice::Ipv4(ip)) = sliced.net else {
            panic!("IPv4 on loopback");
        };
        let Some(TransportSlice::Udp(udp)) = sliced.transport else {
            panic!("UDP");
        };
        let src = SocketAddr::from((ip.header().source_addr(), udp.source_port()));
        let dst = SocketAddr::from((ip.header().destination_addr(), udp.destination_port()));
        out.push((src, dst, udp.payload().to_vec()));
    }
    out
}

#[tokio::test]
async fn an_applied_capture_records_sip_as_pcap() {
    let dir = std::env::temp_dir().join(format!("sbcctl-capture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tempdir");
    let pcap = dir.join("sip.pcap");
    let _ = std::fs::remove_file(&pcap);
    let plan = common::plan(SPEC, &dir, true);
    let host = Host::start(Arc::new(plan), HostOptions::default())
        .await
        .expect("host");
    let client =
        AdminClient::new(&host.admin_addr().expect("admin").to_string(), None).expect("client");
    let with_capture = SPEC.replace("admin:", "logging: { capture: { pcap: sip.pcap } }\nadmin:");
    let report = client
        .apply(&common::plan(&with_capture, &dir, true), None)
        .await
        .expect("applied");
    assert_eq!(report.result, ApplyResult::Applied);
    assert!(report.interfaces.rebound.is_empty(), "{report:?}");

    let sbc = host.local_addr("lan").expect("lan");
    let phone = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
    phone.connect(sbc).await.expect("connect");
    let local = phone.local_addr().expect("addr");
    let options = format!(
        "OPTIONS sip:{sbc} SIP/2.0\r\nVia: SIP/2.0/UDP {local};branch=z9hG4bKcap1\r\nMax-Forwards: 70\r\n\
         From: <sip:t@x>;tag=c1\r\nTo: <sip:{sbc}>\r\nCall-ID: cap-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    );
    phone.send(options.as_bytes()).await.expect("send");
    let mut buf = [0u8; 4096];
    tokio::time::timeout(Duration::from_secs(5), phone.recv(&mut buf))
        .await
        .expect("answer")
        .expect("recv");

    let mut seen = Vec::new();
    for _ in 0..100 {
        seen = datagrams(&pcap);
        if !seen.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (src, dst, payload) = seen.first().expect("the OPTIONS is in the capture");
    assert_eq!((*src, *dst), (local, sbc));
    assert_eq!(payload.as_slice(), options.as_bytes());

    // Turning capture off closes the file; what it holds stays readable.
    client
        .apply(&common::plan(SPEC, &dir, true), None)
        .await
        .expect("applied");
    assert!(!datagrams(&pcap).is_empty());
    host.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
