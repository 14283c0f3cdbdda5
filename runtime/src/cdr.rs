//! PLACEHOLDER until the CDR writer lands.
use sbcctl_compiler::plan::Cdr;
#[derive(Clone, Debug)]
pub struct CdrRecord {
    pub sbc_call_id: String,
    pub caller_call_id: String,
    pub start: String,
    pub answer: Option<String>,
    pub end: String,
    pub duration_secs: f64,
    pub setup_ms: Option<u64>,
    pub source_peer: String,
    pub destination_peer: Option<String>,
    pub route: Option<String>,
    pub from_user: String,
    pub to_user: String,
    pub result_code: u16,
    pub result: String,
    pub hangup_side: Option<String>,
    pub reason: Option<String>,
}
pub struct CdrSink;
impl CdrSink {
    pub fn new(_c: &Cdr) -> std::io::Result<CdrSink> {
        Ok(CdrSink)
    }
    pub fn write(&self, _r: &CdrRecord) {}
}
pub fn rfc3339(_t: std::time::SystemTime) -> String {
    String::new()
}
