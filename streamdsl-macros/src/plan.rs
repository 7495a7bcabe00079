//! Layer 4, plan: which streams become a batch in memory and which are fused away.
//!
//! A record-by-record operator (`map`, `filter`, …) read by exactly one operator and by no
//! output is fused into its consumer's loop: no buffer, no per-record call through a pointer.
//! Everything else is a *stage*: a variable holding the stream's batch, filled by one loop per
//! input port that runs the fused chain from the port's source and pushes into a sink.

use crate::model::{CheckedKind, CheckedPipeline, NodeId, borrowed_input};
use crate::ops::Kind;

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

pub fn plan(p: &CheckedPipeline) -> Plan {
    let n = p.nodes.len();
    let mut op_readers = vec![0usize; n];
    let mut output_readers = vec![0usize; n];
    for id in 0..n {
        for edge in p.inputs_of(id) {
            op_readers[edge.from] += 1;
        }
    }
    for o in &p.outputs {
        output_readers[o.node] += 1;
    }
    let fused = |id: NodeId| {
        p.op(id)
            .is_some_and(|op| matches!(op.spec.kind, Kind::PerRecord(_)))
            && op_readers[id] == 1
            && output_readers[id] == 0
    };
    // Walks up through fused nodes to the batch a loop reads.
    let port = |from: NodeId| {
        let mut chain = Vec::new();
        let mut at = from;
        while fused(at) {
            chain.push(at);
            at = p.inputs_of(at)[0].from;
        }
        chain.reverse();
        (at, chain)
    };
    let mut stages = Vec::new();
    for id in 0..n {
        let Some(op) = p.op(id) else { continue };
        if fused(id) {
            continue;
        }
        let ports = match op.spec.kind {
            Kind::PerRecord(_) => {
                let (source, mut chain) = port(op.inputs[0].from);
                chain.push(id);
                vec![(source, chain)]
            }
            // Reads its input's state, not its records.
            Kind::Snapshot(_) => Vec::new(),
            _ => op.inputs.iter().map(|edge| port(edge.from)).collect(),
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
            port.read = match p.nodes[source].kind {
                CheckedKind::Input { ty } if borrowed_input(ty).is_some() => Read::Borrow,
                _ if !last_reader_seen[source] && output_readers[source] == 0 => Read::Move,
                _ => Read::Clone,
            };
            last_reader_seen[source] = true;
        }
    }
    Plan { stages }
}

impl Plan {
    /// The plan as text, one line per stage and per loop, for review and snapshot tests:
    ///
    /// ```text
    /// stage counts (reduce_by_key)
    ///   loop lines (borrow) -> flat_map -> map
    /// ```
    #[cfg(test)]
    pub fn describe(&self, p: &CheckedPipeline) -> String {
        use std::fmt::Write;
        let mut text = String::new();
        for stage in &self.stages {
            let node = &p.nodes[stage.node];
            let op = p.op(stage.node).expect("stages are operators");
            let slide = if p.is_sparse(stage.node) {
                format!(", every {} ms", node.slide_ms)
            } else {
                String::new()
            };
            let _ = writeln!(text, "stage {} ({}{slide})", node.label, op.spec.name);
            for port in &stage.ports {
                let read = format!("{:?}", port.read).to_lowercase();
                let _ = write!(text, "  loop {} ({read})", p.nodes[port.source].label);
                for &c in &port.chain {
                    let _ = write!(
                        text,
                        " -> {}",
                        p.op(c).expect("chains hold operators").spec.name
                    );
                }
                text.push('\n');
            }
        }
        for o in &p.outputs {
            let _ = writeln!(text, "output {} of {}", o.spec.name, p.nodes[o.node].label);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::plan_text;

    #[test]
    fn word_count_fuses_its_chain_into_the_reduction() {
        let plan = plan_text(
            "pipeline WordCount { batch = 1s; input lines: &str;
             let counts = lines.flat_map(|l| l.split(' ')).map(|w| (w, 1u64)).reduce_by_key(|a, b| a + b);
             counts.pprint(); }",
        );
        assert_eq!(
            plan,
            "stage counts (reduce_by_key)\n  \
               loop lines (borrow) -> flat_map -> map\n\
             output pprint of counts\n"
        );
    }

    #[test]
    fn a_windowed_join_clones_what_is_read_twice() {
        let plan = plan_text(
            "pipeline Join { batch = 1s; input clicks: (String, u64); input views: (String, u64);
             let recent: (String, u64) = clicks.window(10s, 2s);
             let viewed: (String, u64) = views.window(10s, 2s);
             let joined = recent.join(viewed);
             joined.pprint();
             clicks.filter(|c| c.1 > 0).count().pprint(); }",
        );
        assert_eq!(
            plan,
            "stage recent (window, every 2000 ms)\n  \
               loop clicks (clone)\n\
             stage viewed (window, every 2000 ms)\n  \
               loop views (move)\n\
             stage joined (join, every 2000 ms)\n  \
               loop recent (move)\n  \
               loop viewed (move)\n\
             stage clicks.filter.count (count)\n  \
               loop clicks (move) -> filter\n\
             output pprint of joined\n\
             output pprint of clicks.filter.count\n"
        );
    }

    #[test]
    fn every_stateful_operator_is_a_stage() {
        let plan = plan_text(
            "pipeline Stateful { batch = 1s; checkpoint; input words: (String, u64); input n: i64;
             let a: (String, u64) = words.window(4s);
             let b = n.count_by_window(4s, 2s);
             let c: i64 = n.reduce_by_window(|x, y| x + y, |x, y| x - y, 4s);
             let d: (String, u64) = words.reduce_by_key_and_window(|x, y| x + y, 4s, 2s);
             let e: (i64, u64) = n.count_by_value_and_window(4s);
             let f: (String, Vec<u64>) = words.group_by_key_and_window(4s);
             let g: (String, u64) = words.update_state_by_key(|v: Vec<u64>, s: Option<u64>| s);
             let h = words.map_with_state(|k: &String, v: Option<u64>, s: &mut State<u64>| v, 10s);
             a.pprint(); b.pprint(); c.pprint(); d.pprint(); e.pprint(); f.pprint(); g.pprint();
             h.state_snapshots().pprint(); }",
        );
        assert_eq!(
            plan,
            "stage a (window)\n  loop words (clone)\n\
             stage b (count_by_window, every 2000 ms)\n  loop n (clone)\n\
             stage c (reduce_by_window)\n  loop n (clone)\n\
             stage d (reduce_by_key_and_window, every 2000 ms)\n  loop words (clone)\n\
             stage e (count_by_value_and_window)\n  loop n (move)\n\
             stage f (group_by_key_and_window)\n  loop words (clone)\n\
             stage g (update_state_by_key)\n  loop words (clone)\n\
             stage h (map_with_state)\n  loop words (move)\n\
             stage h.state_snapshots (state_snapshots)\n\
             output pprint of a\noutput pprint of b\noutput pprint of c\noutput pprint of d\n\
             output pprint of e\noutput pprint of f\noutput pprint of g\n\
             output pprint of h.state_snapshots\n"
        );
    }
}
