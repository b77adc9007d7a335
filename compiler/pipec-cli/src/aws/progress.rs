//! The progress sinks of plan, apply and destroy: one plain line per event, or the live board
//! (`live.rs`) when stderr is a terminal.

use std::io::IsTerminal;

use pipec_deploy::{ProgressEvent, ProgressSink, RenderOptions};
use termcolor::ColorChoice;

use crate::aws::live::LiveProgress;
use crate::aws::report::render_options;

/// Progress: one line per event on stderr.
pub(crate) struct LineProgress {
    pub(crate) render: RenderOptions,
}

impl ProgressSink for LineProgress {
    fn event(&self, event: &ProgressEvent) {
        eprintln!("{}", pipec_deploy::render_event(event, self.render));
    }
}

/// The progress sink of apply and destroy: resource lines redrawn in place when stderr is a
/// terminal, else one line per event.
pub(crate) fn progress_sink(color: ColorChoice) -> Box<dyn ProgressSink> {
    let render = render_options(color, false);
    if std::io::stderr().is_terminal() {
        Box::new(LiveProgress::new(render))
    } else {
        Box::new(LineProgress { render })
    }
}
