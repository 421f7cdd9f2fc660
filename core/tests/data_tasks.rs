//! Mixtures: op tokens (SPEC §1: `=` p, `+` p+1, `-` p+2, `*` p+3, `/` p+4, collisions get fresh
//! p+5, p+6, …), d_vocab, the shared filter, and the task-major example layout.

use modgrok_core::data::{Example, Filter, Op, Pairs, Tasks};
use modgrok_core::{Error, MAX_TASKS};

fn tokens(t: &Tasks) -> Vec<u16> {
    t.tasks().iter().map(|t| t.token).collect()
}

#[test]
fn single_tasks_use_the_reference_tokens_and_d_vocab_p_plus_5() {
    for (name, token) in [
        ("add", 98),
        ("subtract", 99),
        ("multiply", 100),
        ("division", 101),
        ("x2_y2", 97),
    ] {
        let t = Tasks::parse(97, name).unwrap();
        assert_eq!((tokens(&t), t.d_vocab()), (vec![token], 102), "{name}");
    }
}

#[test]
fn mixture_tokens_and_d_vocab() {
    let t = Tasks::parse(97, "add,subtract,multiply").unwrap();
    assert_eq!((tokens(&t), t.d_vocab()), (vec![98, 99, 100], 102));
    let t = Tasks::parse(97, "x2_y2,add,x2_xy_y2,x^3 + y").unwrap();
    assert_eq!((tokens(&t), t.d_vocab()), (vec![97, 98, 102, 103], 104));
    let t = Tasks::parse(97, "multiply, multiply_non_zero").unwrap();
    assert_eq!((tokens(&t), t.d_vocab()), (vec![100, 102], 103));
    assert_eq!(t.filter(), Filter::NON_ZERO);
    let t = Tasks::parse(11, "add,add").unwrap();
    assert_eq!((tokens(&t), t.d_vocab()), (vec![12, 16], 17));
    let t = Tasks::parse(11, &vec!["x2_y"; MAX_TASKS].join(",")).unwrap();
    assert_eq!(
        tokens(&t),
        [11].into_iter().chain(16..31).collect::<Vec<u16>>()
    );
    assert_eq!(t.d_vocab(), 31);
    assert_eq!(t.task_of_token(16), Some(1));
    assert_eq!(t.task_of_token(12), None);
}

#[test]
fn task_count_outside_1_to_16_is_bad_task_count() {
    assert_eq!(Tasks::new(97, &[]), Err(Error::BadTaskCount { n: 0 }));
    let ops = vec![Op::from_name("add").unwrap(); MAX_TASKS + 1];
    assert_eq!(Tasks::new(97, &ops), Err(Error::BadTaskCount { n: 17 }));
    assert_eq!(
        Tasks::parse(97, &vec!["add"; 17].join(",")),
        Err(Error::BadTaskCount { n: 17 })
    );
}

#[test]
fn bad_items_in_a_list_give_their_error() {
    assert_eq!(Tasks::parse(97, "add,foo"), Err(Error::UnknownOp));
    assert_eq!(
        Tasks::parse(97, "add,"),
        Err(Error::BadExpression { at: 0 })
    );
    assert_eq!(
        Tasks::parse(97, "add,x^"),
        Err(Error::BadExpression { at: 2 })
    );
    assert_eq!(
        Tasks::parse(97, "x^9"),
        Err(Error::DegreeTooHigh { degree: 9 })
    );
    assert_eq!(Tasks::parse(91, "add"), Err(Error::BadModulus { p: 91 }));
}

#[test]
fn tokens_past_u16_are_refused_at_the_largest_prime() {
    let p = 65521;
    assert_eq!(
        Tasks::parse(p, &["x2_y"; 11].join(",")).unwrap().d_vocab(),
        65536
    );
    assert_eq!(
        Tasks::parse(p, &["x2_y"; 12].join(",")),
        Err(Error::BadToken {
            token: 65536,
            d_vocab: 65536
        })
    );
}

#[test]
fn examples_are_task_major_in_pair_order() {
    let t = Tasks::parse(11, "add,x2_y,multiply").unwrap();
    let pairs = [(3u16, 4u16), (10, 10), (0, 7)];
    let mut out = [Example::default(); 10];
    assert_eq!(t.fill_examples(&pairs, &mut out), Ok(9));
    let want = [
        Example {
            tokens: [3, 12, 4],
            label: 7,
            task: 0,
        },
        Example {
            tokens: [10, 12, 10],
            label: 9,
            task: 0,
        },
        Example {
            tokens: [0, 12, 7],
            label: 7,
            task: 0,
        },
        Example {
            tokens: [3, 11, 4],
            label: 2,
            task: 1,
        },
        Example {
            tokens: [10, 11, 10],
            label: 0,
            task: 1,
        },
        Example {
            tokens: [0, 11, 7],
            label: 7,
            task: 1,
        },
        Example {
            tokens: [3, 14, 4],
            label: 1,
            task: 2,
        },
        Example {
            tokens: [10, 14, 10],
            label: 1,
            task: 2,
        },
        Example {
            tokens: [0, 14, 7],
            label: 0,
            task: 2,
        },
    ];
    assert_eq!(out[..9], want);
    assert_eq!(out[9], Example::default());
}

#[test]
fn examples_refuse_short_buffers_and_operands_past_the_reference_range() {
    let t = Tasks::parse(11, "add,subtract").unwrap();
    let mut out = [Example::default(); 3];
    assert_eq!(
        t.fill_examples(&[(1, 2), (3, 4)], &mut out),
        Err(Error::BufferTooSmall { need: 4, got: 3 })
    );
    let mut out = [Example::default(); 4];
    // Operands reach p + 4 (the reference's pairs): (15, 11) is x = 15 ≡ 4, y = 11 ≡ 0.
    assert_eq!(t.fill_examples(&[(1, 2), (15, 11)], &mut out), Ok(4));
    assert_eq!((out[1].tokens, out[1].label), ([15, 12, 11], 4));
    assert_eq!((out[3].tokens, out[3].label), ([15, 13, 11], 4));
    assert_eq!(
        t.fill_examples(&[(1, 2), (3, 16)], &mut out),
        Err(Error::BadToken {
            token: 16,
            d_vocab: 16
        })
    );
    assert_eq!(t.fill_examples(&[], &mut out), Ok(0));
}

#[test]
fn split_and_examples_cover_every_admitted_pair_once_at_p11() {
    let t = Tasks::parse(11, "division,add").unwrap();
    assert_eq!(t.n_pairs(Pairs::Field), 110);
    let mut pairs = vec![(0u16, 0u16); t.n_pairs(Pairs::Field)];
    let n_train = t.split(Pairs::Field, 0.3, 0, &mut pairs).unwrap();
    assert_eq!(n_train, 33);
    let mut sorted = pairs.clone();
    sorted.sort();
    let all: Vec<(u16, u16)> = (0..11).flat_map(|x| (1..11).map(move |y| (x, y))).collect();
    assert_eq!(sorted, all);
    let mut train = vec![Example::default(); t.n_examples(n_train)];
    assert_eq!(t.fill_examples(&pairs[..n_train], &mut train), Ok(66));
    for e in &train {
        let [x, tok, y] = e.tokens;
        let task = &t.tasks()[e.task as usize];
        assert_eq!(tok, task.token);
        assert_eq!(e.label as u32, task.op.eval(x as u32, y as u32, 11));
    }
    let div = train.iter().filter(|e| e.task == 0);
    assert!(
        div.clone()
            .all(|e| (e.label as u32 * e.tokens[2] as u32) % 11 == e.tokens[0] as u32)
    );
    assert_eq!(div.count(), 33);
}
