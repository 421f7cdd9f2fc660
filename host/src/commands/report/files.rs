//! `report.csv` (one row per run) and `report.svg` (the grokked table as a colour grid).
use std::fmt::Write as _;

use super::runs::RunRow;
use super::table::Table;

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One line per run.
pub fn csv(runs: &[RunRow]) -> String {
    let mut s = String::from(
        "run,op,label,p,frac,seed,pairs,finished,grokked,final_step,steps_to_memorise,steps_to_grok,final_test_acc,best_test_acc,emb_ffs,emb_fcr\n",
    );
    let u = |v: Option<u64>| v.map_or(String::new(), |v| v.to_string());
    let f = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:?}"));
    for r in runs {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            csv_field(&r.run),
            csv_field(&r.op),
            csv_field(&r.label),
            r.p,
            r.frac,
            r.seed,
            r.pairs,
            r.finished,
            r.grokked(),
            u(r.final_step),
            u(r.steps_to_memorise),
            u(r.steps_to_grok),
            f(r.final_test_acc),
            f(r.best_test_acc),
            f(r.emb_ffs),
            f(r.emb_fcr),
        );
    }
    s
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The grokked table as an SVG grid: one row per op, one column per fraction, each cell
/// coloured by the share of its seeds that grokked (grey none … green all) and labelled with
/// the Markdown cell.
pub fn svg(title: &str, runs: &[RunRow]) -> String {
    let t = Table::new(runs);
    let (cell_h, top, pad) = (22.0, 64.0, 10.0);
    let longest = (0..t.keys.len())
        .flat_map(|i| t.fracs.iter().map(move |&f| (i, f)))
        .map(|(i, f)| t.grok_cell(i, f).chars().count())
        .max()
        .unwrap_or(3);
    let cell_w = (7.5 * longest as f64 + 14.0).max(56.0);
    let label_w = 7.0
        * t.rows()
            .map(|(p, l)| {
                l.chars().count()
                    + if t.multi_p {
                        8 + p.to_string().len()
                    } else {
                        0
                    }
            })
            .max()
            .unwrap_or(4) as f64
        + 2.0 * pad;
    // Wide enough for the footnote.
    let width = (label_w + cell_w * t.fracs.len() as f64 + pad).max(440.0);
    let height = top + cell_h * t.keys.len() as f64 + 52.0;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{pad}\" y=\"20\" font-size=\"15\">{}</text>\n\
         <text x=\"{label_w:.0}\" y=\"{:.0}\" fill=\"#444\">train fraction →</text>\n",
        xml_escape(title),
        top - 26.0
    );
    for (j, f) in t.fracs.iter().enumerate() {
        let x = label_w + cell_w * (j as f64 + 0.5);
        let _ = writeln!(
            s,
            "<text x=\"{x:.1}\" y=\"{:.0}\" text-anchor=\"middle\">{f}</text>",
            top - 6.0
        );
    }
    // Grey (none grokked) to green (all grokked), linear in sRGB.
    let colour = |share: f64| {
        let (a, b) = ([0xe8, 0xe8, 0xe8], [0x1a, 0x98, 0x50]);
        let c: Vec<u8> = (0..3)
            .map(|k| (a[k] as f64 + (b[k] as f64 - a[k] as f64) * share).round() as u8)
            .collect();
        format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
    };
    for (i, (p, label)) in t.rows().enumerate() {
        let y = top + cell_h * i as f64;
        let name = if t.multi_p {
            format!("{label} (p = {p})")
        } else {
            label.to_string()
        };
        let _ = writeln!(
            s,
            "<text x=\"{:.0}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            label_w - pad,
            y + cell_h * 0.7,
            xml_escape(&name)
        );
        for (j, &f) in t.fracs.iter().enumerate() {
            let x = label_w + cell_w * j as f64;
            let share = t.grok_share(i, f);
            let fill = share.map_or("white".to_string(), colour);
            let ink = if share.unwrap_or(0.0) > 0.6 {
                "white"
            } else {
                "black"
            };
            let _ = writeln!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cell_w}\" height=\"{cell_h}\" fill=\"{fill}\" stroke=\"white\"/>\
                 <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{ink}\">{}</text>",
                x + cell_w / 2.0,
                y + cell_h * 0.7,
                xml_escape(&t.grok_cell(i, f))
            );
        }
    }
    let _ = writeln!(
        s,
        "<text x=\"{pad}\" y=\"{:.0}\" fill=\"#444\" font-size=\"11\">colour: share of seeds grokked \
         (grey none, green all)</text>\n<text x=\"{pad}\" y=\"{:.0}\" fill=\"#444\" font-size=\"11\">\
         ✔ a seed that grokked; a number: the best test accuracy of one that did not</text>\n</svg>",
        height - 26.0,
        height - 10.0
    );
    s
}
