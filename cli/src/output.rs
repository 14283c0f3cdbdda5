//! Output format selection and colour policy.

use std::io::IsTerminal;

use clap::ValueEnum;
use sbcctl_compiler::diag::Format;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Human,
    Json,
    Github,
}

/// Colour only on a terminal, and never when `NO_COLOR` is set (https://no-color.org).
pub fn color_enabled() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
}

impl FormatArg {
    pub fn diag_format(self) -> Format {
        match self {
            FormatArg::Human => Format::Human {
                color: color_enabled(),
            },
            FormatArg::Json => Format::Json,
            FormatArg::Github => Format::Github,
        }
    }
}
