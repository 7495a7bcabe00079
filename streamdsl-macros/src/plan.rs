//! Layer 4, plan: which streams become a batch in memory and which are fused away.
//!
//! A record-by-record operator (`map`, `filter`, …) read by exactly one operator and by no
//! output is fused into its consumer's loop: no buffer, no per-record call through a pointer.
//! Everything else is a *stage*: a variable holding the stream's batch, filled by one loop per
//! input port that runs the fused chain from the port's source and pushes into a sink.

use crate::graph::{Graph, NodeId, NodeKind};
use crate::ops::Codegen;
use syn::Type;

pub struct Plan {
    /// Stages in dependency order.
    pub stages: Vec<Stage>,
}

pub struct Stage {
    pub node: NodeId,
    pub ports: Vec<Port>,
}

/// One loop: from `source`'s batch through the fused `chain` into a sink of the stage.
pub struct Port {
    pub source: NodeId,
    pub chain: Vec<NodeId>,
    pub read: Read,
}

/// How a loop reads its source batch.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Read {
    /// Records borrowed from an input declared as `&T`.
    Borrow,
    /// Records moved out: this loop is the batch's last reader and no output needs it.
    Move,
    /// Records cloned: the batch is read again later.
    Clone,
}

/// The referent of a borrowed input type (`str` for `&str`). Only an elided lifetime borrows
/// from the batch: `&'static str` is an owned record type.
pub fn borrowed_input(ty: &Type) -> Option<&Type> {
    match ty {
        Type::Reference(r) if r.mutability.is_none() && r.lifetime.is_none() => Some(&r.elem),
        _ => None,
    }
}

pub fn plan(g: &Graph) -> Plan {
    let n = g.nodes.len();
    let mut op_readers = vec![0usize; n];
    let mut output_readers = vec![0usize; n];
    for node in &g.nodes {
        for &input in &node.inputs {
            op_readers[input] += 1;
        }
    }
    for o in &g.outputs {
        output_readers[o.node] += 1;
    }
    let fused = |id: NodeId| {
        matches!(
            g.nodes[id].spec().map(|s| &s.codegen),
            Some(Codegen::PerRecord(_))
        ) && op_readers[id] == 1
            && output_readers[id] == 0
    };
    // Walks up through fused nodes to the batch a loop reads.
    let port = |from: NodeId| {
        let mut chain = Vec::new();
        let mut at = from;
        while fused(at) {
            chain.push(at);
            at = g.nodes[at].inputs[0];
        }
        chain.reverse();
        (at, chain)
    };
    let mut stages = Vec::new();
    for id in 0..n {
        let node = &g.nodes[id];
        let Some(spec) = node.spec() else { continue };
        if fused(id) || node.inputs.is_empty() {
            continue;
        }
        let ports = match spec.codegen {
            Codegen::PerRecord(_) => {
                let (source, mut chain) = port(node.inputs[0]);
                chain.push(id);
                vec![(source, chain)]
            }
            // Reads its input's state, not its records.
            Codegen::Snapshot(_) => Vec::new(),
            _ => node.inputs.iter().map(|&input| port(input)).collect(),
        };
        stages.push(Stage {
            node: id,
            ports: ports
                .into_iter()
                .map(|(source, chain)| Port {
                    source,
                    chain,
                    read: Read::Clone,
                })
                .collect(),
        });
    }
    // The last loop reading a batch may move its records out, unless an output reads it.
    let mut last_reader_seen = vec![false; n];
    for stage in stages.iter_mut().rev() {
        for port in stage.ports.iter_mut().rev() {
            let source = port.source;
            port.read = match g.nodes[source].kind {
                NodeKind::Input { ty } if borrowed_input(ty).is_some() => Read::Borrow,
                _ if !last_reader_seen[source] && output_readers[source] == 0 => Read::Move,
                _ => Read::Clone,
            };
            last_reader_seen[source] = true;
        }
    }
    Plan { stages }
}
