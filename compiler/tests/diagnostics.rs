//! One fixture and one snapshot per diagnostic code.

mod common;

use sbcctl_compiler::diag::{Code, Format, render};

fn check(code: Code) {
    let path = format!("compiler/tests/fixtures/diagnostics/{code}.yaml");
    let out = common::compile(&path);
    assert!(
        out.diagnostics.iter().any(|d| d.code == code),
        "{path} does not produce {code}; got {:?}",
        out.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>()
    );
    if code.severity() == sbcctl_compiler::diag::Severity::Error {
        assert!(out.plan.is_none(), "an error must prevent the plan");
    }
    let human = render(&out.diagnostics, Format::Human { color: false });
    let json = render(&out.diagnostics, Format::Json);
    let github = render(&out.diagnostics, Format::Github);
    common::settings().bind(|| {
        insta::assert_snapshot!(
            code.as_str(),
            format!("{human}\n--- json\n{json}\n--- github\n{github}")
        );
    });
}

macro_rules! fixtures {
    ($($name:ident => $code:ident),* $(,)?) => {
        $(#[test] fn $name() { check(Code::$code); })*

        #[test]
        fn every_code_has_a_fixture() {
            let tested = [$(Code::$code),*];
            for c in Code::ALL {
                assert!(tested.contains(c), "{c} has no fixture test");
            }
        }
    };
}

fixtures! {
    sbc001 => YamlSyntax,
    sbc002 => UnknownKey,
    sbc003 => WrongType,
    sbc004 => DuplicateName,
    sbc005 => UndefinedReference,
    sbc006 => DuplicateListen,
    sbc007 => OverlappingPorts,
    sbc008 => MissingTls,
    sbc009 => BadCertificate,
    sbc010 => BadRegex,
    sbc011 => ShadowedRoute,
    sbc012 => MissingOrigins,
    sbc013 => UnreachableUsers,
    sbc014 => BadAddress,
    sbc015 => BadPortRange,
    sbc016 => BadDuration,
    sbc017 => ProtectedHeader,
    sbc018 => WrongPeerKind,
    sbc019 => BadRule,
    sbc020 => UsersFile,
    sbc021 => BadVersion,
    sbc022 => BadValue,
}

#[test]
fn codes_are_unique_and_documented() {
    let mut seen = std::collections::HashSet::new();
    for c in Code::ALL {
        assert!(seen.insert(c.as_str()), "{c} twice");
        assert!(!c.doc().is_empty() && !c.title().is_empty());
        assert_eq!(c.as_str().parse::<Code>(), Ok(*c));
    }
}

#[test]
fn unknown_key_suggests_the_closest() {
    let out = common::compile("compiler/tests/fixtures/diagnostics/SBC002.yaml");
    let help = out
        .diagnostics
        .first()
        .and_then(|d| d.help.clone())
        .unwrap_or_default();
    assert!(help.starts_with("did you mean `limits`?"), "{help}");
}

#[test]
fn duplicate_mapping_key_is_a_duplicate_name() {
    let text = "version: 1\ninterfaces:\n  lan: { transport: udp, listen: 127.0.0.1:5060 }\n  lan: { transport: udp, listen: 127.0.0.1:5061 }\n";
    let file = sbcctl_compiler::source::SourceFile::new("dup.yaml", "", text);
    let out = sbcctl_compiler::compile(&file, sbcctl_compiler::Options { pure: true });
    let d = out.diagnostics.first().expect("one diagnostic");
    assert_eq!(d.code, Code::DuplicateName);
    assert_eq!(d.message, "duplicate name `lan`");
    assert_eq!(d.position(), (4, 3));
}
