"""``--prune RULE:SETTING=VALUE,...``: parsing and checking the spec."""

from __future__ import annotations

import pytest

from hpmagic.core import Direction
from hpmagic.errors import OptionError
from hpmagic.pruning import (
    DEFAULT,
    ASHAPruner,
    FoldPruner,
    HyperbandPruner,
    MedianPruner,
    make_pruner,
    parse_prune_spec,
)

MIN, MAX = Direction.MINIMIZE, Direction.MAXIMIZE


# ---------------------------------------------------------------------------------------
# --prune RULE:SETTING=VALUE,...
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (None, (None, {})),
        ("", (None, {})),
        ("  ", (None, {})),
        ("auto", (None, {})),
        ("asha", ("asha", {})),
        ("ASHA", ("asha", {})),
        ("asha:", ("asha", {})),
        ("asha:eta=3,min_resource=2", ("asha", {"eta": "3", "min_resource": "2"})),
        (" hyperband : eta = 2 , max_resource = 81 ,", ("hyperband", {"eta": "2", "max_resource": "81"})),
        ("auto:eta=2", (None, {"eta": "2"})),
    ],
)
def test_parse_prune_spec(text, expected):
    assert parse_prune_spec(text) == expected


@pytest.mark.parametrize(
    "text, words",
    [
        ("asha:eta", "'eta' is not a setting; write each as NAME=VALUE, separated by commas"),
        ("asha:eta=", "'eta=' is not a setting"),
        ("asha:=3", "'=3' is not a setting"),
        (":eta=3", "name the rule before its settings, e.g. --prune asha:eta=3"),
        ("asha:eta=3,eta=4", "eta is given twice"),
    ],
)
def test_parse_prune_spec_refuses_what_it_cannot_read(text, words):
    with pytest.raises(OptionError, match=words):
        parse_prune_spec(text)


def test_make_pruner_defaults():
    assert DEFAULT == "hyperband"
    assert type(make_pruner(None, {})) is HyperbandPruner and type(make_pruner("auto")) is HyperbandPruner
    assert type(make_pruner(None, {}, folds=True)) is FoldPruner
    assert type(make_pruner(" Median ")) is MedianPruner
    asha = make_pruner(*parse_prune_spec("asha:eta=2,min_resource=0.5,max_resource=auto"))
    assert isinstance(asha, ASHAPruner) and (asha.eta, asha.min_resource, asha.max_resource) == (2, 0.5, None)
    assert make_pruner("hyperband", {"max_resource": 81, "eta": 3.0}).bracket_sizes() == [81, 34, 15, 8, 5]
    median = make_pruner("median", {"min_trials": "3", "min_step": "2.5", "interval": "1e1"})
    assert (median.min_trials, median.min_step, median.interval) == (3, 2.5, 10.0)


@pytest.mark.parametrize(
    "name, words",
    [
        ("medain", "unknown rule 'medain' (did you mean 'median'?); use one of auto, median, asha, hyperband, folds"),
        ("hyper", "(did you mean 'hyperband'?)"),
        ("xyz", "unknown rule 'xyz'; use one of auto, median, asha, hyperband, folds"),
    ],
)
def test_make_pruner_refuses_an_unknown_rule(name, words):
    with pytest.raises(OptionError) as caught:
        make_pruner(name, {})
    assert words in str(caught.value)


def test_make_pruner_refuses_an_unknown_setting_with_the_closest_one_and_the_list():
    with pytest.raises(OptionError) as caught:
        make_pruner("asha", {"etta": "3"})
    assert str(caught.value) == (
        "--prune asha has no setting 'etta' (did you mean 'eta'?); its settings: min_resource (a number above 0; "
        "default 1), eta (a whole number of at least 2; default 3), max_resource (a number above 0, or auto "
        "(learned from the first complete trial's last step); default auto), smooth (a whole number of at least 0; "
        "default 0)"
    )


@pytest.mark.parametrize(
    "name, setting, value, words",
    [
        ("asha", "eta", "1", "--prune asha: eta must be a whole number of at least 2, but got '1'"),
        ("asha", "eta", "2.5", "eta must be a whole number of at least 2, but got '2.5'"),
        ("asha", "eta", "three", "eta must be a whole number"),
        ("asha", "eta", True, "eta must be a whole number"),
        ("asha", "min_resource", "0", "min_resource must be a number above 0, but got '0'"),
        ("asha", "min_resource", "nan", "min_resource must be a number above 0"),
        ("hyperband", "max_resource", "-3", "--prune hyperband: max_resource must be a number above 0, or auto"),
        ("hyperband", "max_resource", "inf", "max_resource must be a number above 0"),
        ("median", "min_trials", "0", "min_trials must be a whole number of at least 1"),
        ("median", "min_step", "-1", "min_step must be a number of at least 0"),
        ("median", "interval", "0", "interval must be a number above 0"),
        ("folds", "chance", "1", "chance must be a number between 0 and 1 (both excluded), but got '1'"),
        ("folds", "chance", "0", "chance must be a number between 0 and 1 (both excluded)"),
        ("folds", "margin", "-0.5", "margin must be a number of at least 0, but got '-0.5'"),
        ("folds", "min_folds", "0", "min_folds must be a whole number of at least 1"),
    ],
)
def test_make_pruner_refuses_a_value_out_of_range_with_the_range(name, setting, value, words):
    with pytest.raises(OptionError) as caught:
        make_pruner(name, {setting: value})
    assert words in str(caught.value)


def test_asha_refuses_max_resource_not_above_min_resource():
    with pytest.raises(OptionError, match=r"max_resource \(2\) must be larger than min_resource \(3\)"):
        make_pruner("hyperband", {"min_resource": "3", "max_resource": "2"})
    with pytest.raises(OptionError, match="eta must be a whole number of at least 2"):
        ASHAPruner(eta=1)  # the same checks from Python


@pytest.mark.parametrize(
    "name, text",
    [
        (
            "median",
            "median: stop a trial worse than the median of earlier trials at its step "
            "(min_trials=5, min_step=0, interval=1)",
        ),
        (
            "asha",
            "asha: rungs at steps 1, 3, 9, 27, ...; the top 1/3 at each rung go on "
            "(min_resource=1, eta=3, max_resource learned from the first complete trial)",
        ),
        (
            "folds",
            "folds: stop a trial unlikely to end ahead of the best trial on the same folds "
            "(min_folds=1, chance=0.3, margin=0.5)",
        ),
    ],
)
def test_describe_says_the_rule_and_its_settings(name, text):
    assert make_pruner(name).describe() == text
