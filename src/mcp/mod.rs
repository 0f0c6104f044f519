//! `defer mcp`: a Model Context Protocol server over stdio, synchronous (one request at
//! a time, no async runtime), whose tools call the same operations (`ops`) as the CLI.
//! Protocol details and a transcript: docs/mcp.md.

mod arguments;
mod calls;
mod config;
mod output;
mod policy;
mod protocol;
mod schema;
mod tools;
mod transport;
mod words;

use std::io::{self, BufRead, Write};

pub use config::{registration, Client};
pub use policy::Policy;
pub use protocol::{Server, SUPPORTED_VERSIONS};
pub use schema::{input_schema, Catalog, Kind, Property, Shape};
pub use tools::TOOLS;

use crate::config::Env;

/// Serves requests from `input` until it ends, answering on `output`. Only protocol
/// messages go to `output`; a bad message gets an error reply and serving goes on. A
/// closed `output` (the host went away) ends serving quietly. `policy` is what the
/// server's callers may do (`defer mcp --allow-commands`); `catalog` every tool's
/// arguments.
pub fn serve(
    input: impl BufRead,
    mut output: impl Write,
    env: &Env,
    policy: Policy,
    catalog: Catalog,
) -> io::Result<()> {
    let mut server = Server::new(env.clone(), catalog).with_policy(policy);
    let mut reader = transport::Reader::new(input);
    while let Some(frame) = reader.next_frame()? {
        let reply = match frame {
            transport::Frame::Line(line) if line.iter().all(u8::is_ascii_whitespace) => None,
            transport::Frame::Line(line) => server.handle(&line),
            transport::Frame::TooLarge => Some(protocol::too_large()),
        };
        let Some(reply) = reply else { continue };
        match transport::write_message(&mut output, &reply) {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
            written => written?,
        }
    }
    Ok(())
}
