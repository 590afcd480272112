"""Test settings: float64 JAX on the CPU, strict dtype promotion, reproducible hypothesis."""

import os
from pathlib import Path

os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_dtype_promotion", "strict")

# Same examples on every run, so a CI failure reproduces locally.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder named by JAXMM_REAL_DATA (holds spx_20251001/); skip where absent."""
    value = os.environ.get("JAXMM_REAL_DATA")
    if not value:
        pytest.skip("JAXMM_REAL_DATA is not set (CI sets it to ../shared/data)")
    path = Path(value)
    if not (path / "spx_20251001").is_dir():
        pytest.skip(f"JAXMM_REAL_DATA={value} has no spx_20251001/ folder")
    return path


# ---------------------------------------------------------------------------------------
# Test tiers (docs/development.md). Markers are assigned here, centrally, not in the files:
#   e2e       runs Snakemake on the pipeline (files in _E2E_FILES)
#   realdata  reads the chains in JAXMM_REAL_DATA (uses the real_data fixture, or marked)
#   gpu       needs a GPU (uses the gpu fixture)
#   slow      over ~2 s on the 2-core CI machine, XLA compiles included: every e2e test,
#             and the tests listed in _SLOW (measured with --durations; re-measure and
#             edit the list when a test gets slow, see docs/development.md)
# `make test` runs every tier; `make test-fast` deselects slow, e2e, realdata and gpu.
# ---------------------------------------------------------------------------------------

_E2E_FILES = {"test_pipeline_e2e.py", "test_workflow_reruns.py"}

# file -> test function names (all their parametrisations), or "*" for the whole file.
# Measured 2026-12-03 on the shared 2-core machine under load (setup + call over 1 s, each
# phase cut at 2.5 s), e2e and realdata tests aside; see docs/development.md to re-measure.
_SLOW: dict[str, set[str] | str] = {
    "test_backtest_option_writing.py": {"test_batch_equals_single_runs_and_no_look_ahead",
        "test_book_greeks_covered_call_delta_is_one_minus_call_delta",
        "test_cash_secured_put_assignment_on_a_holiday_expiry", "test_close_at_dte_and_skew_convention",
        "test_costs_reduce_returns_monotonically", "test_covered_call_assignment_and_expiry_accounting",
        "test_hand_example_entry_profit_take_and_reentry",
        "test_inventory_rules_fire_exactly_past_their_limits",
        "test_option_free_strategy_equals_buy_and_hold",
        "test_put_call_parity_covered_call_equals_cash_secured_put",
        "test_real_sp500_covered_call_and_put_vs_buy_and_hold"},
    "test_black.py": "*",
    "test_cli.py": {"test_dry_run_for_real"},
    "test_config.py": {"test_config_errors_name_the_key"},
    "test_hedging_delta.py": {"test_ahmad_wilmott_expected_profit_and_actual_vol_hedge",
        "test_ahmad_wilmott_sd_hedging_at_implied", "test_decomposition_sums_to_pnl", "test_delta_band",
        "test_derman_kamal", "test_determinism_and_common_random_numbers",
        "test_float32_matches_float64_in_distribution", "test_greeks_match_black", "test_leland",
        "test_normal_cdf_accuracy", "test_normal_pair_matches_mm_random", "test_one_step_closed_form",
        "test_put_call_parity_of_hedged_pnl", "test_simulate_hedge_over_n_stacks_single_runs",
        "test_zero_vol_closed_forms"},
    "test_hedging_time_spread.py": {"test_curve_increments_are_exact",
        "test_implied_vol_is_the_average_instantaneous_variance",
        "test_raw_gamma_sizing_is_short_front_month_variance"},
    "test_hedging_vol_path.py": {"test_closed_form_mark_matches_black",
        "test_effective_delta_is_the_regime_price_slope",
        "test_effective_delta_reduces_hedging_error_variance",
        "test_vol_path_effective_delta_matches_stats_at_s0",
        "test_zero_slope_and_sticky_strike_hedges_are_identical"},
    "test_io_chains_properties.py": {"test_corrupted_cboe_conserves_rows",
        "test_corrupted_deribit_json_conserves_rows", "test_corrupted_deribit_tickers_conserve_rows",
        "test_corrupted_one_header_csv_conserves_rows"},
    "test_io_daily.py": {"test_arch_package_files"},
    "test_io_dateline.py": {"test_generated_stamps_parse_to_their_instant"},
    "test_iv_accuracy.py": "*",
    "test_iv_crosscheck.py": {"test_hard_case_status_and_value", "test_hard_case_vs_vollib",
        "test_random_grid_vs_exact", "test_random_grid_vs_vollib", "test_status_contract_on_random_inputs"},
    "test_iv_edge_cases.py": {"test_overflowing_discount_inputs_and_huge_forwards",
        "test_price_at_the_discounted_intrinsic_is_at_intrinsic",
        "test_prices_beyond_the_representable_range", "test_status_contract_property"},
    "test_mm_fair_value.py": "*",
    "test_mm_glft.py": "*",
    "test_mm_simulate.py": {"test_adverse_selection_costs_the_market_maker",
        "test_deterministic_chunking_devices_and_grid", "test_expected_fills_per_step_match_the_closed_form",
        "test_float32_agrees_with_float64_path_by_path",
        "test_glft_exact_and_closed_form_policies_agree_far_from_the_bound",
        "test_glft_quotes_in_the_simulator_are_the_exact_quotes",
        "test_inventory_and_symmetric_agree_as_gamma_goes_to_zero", "test_inventory_limit_is_respected",
        "test_inventory_strategy_reduces_inventory_and_profit_risk", "test_mid_models_have_their_moments",
        "test_no_arrivals_no_fills_zero_profit", "test_progress_is_logged_per_chunk",
        "test_published_section_3_3_table_reproduces", "test_random_words_are_uniform_and_independent",
        "test_rebate_adds_exactly_rebate_per_fill",
        "test_recorded_quotes_and_factorised_fill_probabilities_are_the_formulas"},
    "test_parity.py": {"test_deribit_like_inverse_chain",
        "test_exact_prices_give_exact_forward_and_discount", "test_exact_recovery_property",
        "test_fallbacks_interpolate_the_curve_and_are_flagged",
        "test_no_trusted_expiry_uses_the_configured_rate_curve_and_spot",
        "test_vix_like_forward_comes_from_parity_not_spot"},
    "test_runtime.py": "*",
    "test_stage_backtest.py": {"test_crisis_and_breaches", "test_equity_and_metrics_are_the_library_results",
        "test_tables_follow_their_schemas"},
    "test_stage_hedging.py": {"test_delta_grid_rows_are_the_library_results",
        "test_tables_follow_their_schemas", "test_time_spread_rows", "test_validation_rows_and_verdicts",
        "test_vol_path_takes_the_statistics_slope"},
    "test_stage_implied_vols.py": {"test_fallback_flags_in_the_stage", "test_outputs_follow_their_schemas"},
    "test_stage_mm.py": {"test_fair_value_hedging_trade_off",
        "test_fair_value_regressions_recover_the_overreaction",
        "test_fair_value_series_matches_the_generator_truth", "test_histograms_and_sample_path",
        "test_paper_table_compares_the_published_rows",
        "test_paper_table_flags_a_cell_that_does_not_reproduce", "test_summary_rows_are_the_library_results",
        "test_tables_match_their_schemas"},
    "test_stage_statistics.py": {"test_effective_deltas_closed_form_and_the_seed_example",
        "test_etf_premium_zscore_and_spread_match_pandas", "test_event_vol_reproduces_the_seed",
        "test_hedge_ratios_match_pandas_and_closed_forms", "test_ice_multiplier_example_is_delta_flat",
        "test_portfolio_risk_against_hand_computed_greeks", "test_run_writes_every_table_with_its_schema",
        "test_vol_beta_matches_pandas_rolling_ols", "test_vol_premium_chain_atm_from_the_svi_fits",
        "test_vol_premium_index_and_chain_rows"},
    "test_stage_surfaces.py": {"test_every_quote_has_a_fair_value_consistent_with_black",
        "test_issue_bars_on_ok_slices", "test_no_arbitrage_in_the_fitted_slices",
        "test_outputs_follow_their_schemas", "test_report_section", "test_rich_cheap_ranks_the_fit_set",
        "test_short_slices_below_min_t_are_not_fitted", "test_smiles_recovered_across_the_quoted_range",
        "test_ssvi_recovers_the_generator", "test_svi_fits_recover_the_true_smiles"},
    "test_stats_event_vol.py": {"test_imaginary_or_undefined_solutions_are_nan",
        "test_move_vol_inverse_and_closed_form", "test_solvers_round_trip_vectorised"},
    "test_stats_rolling.py": {"test_float32_inputs_use_their_dtype",
        "test_hedge_ratio_closed_form_power_law", "test_hedge_ratio_long_window_path_and_broadcast",
        "test_hedge_ratio_matches_pandas_seed_recipe", "test_log_is_within_one_ulp_of_mpmath",
        "test_regression_corr_matches_pandas_and_lstsq",
        "test_regression_paths_agree_with_pandas_around_threshold",
        "test_window_edges_all_paths_match_longdouble"},
    "test_stats_tenors.py": {"test_doctests", "test_gamma_neutrality_closes_and_vega_carried_vectorised",
        "test_portfolio_risk_against_hand_computation_and_time_batch", "test_tenor_gamma_is_black_atm_gamma"},
    "test_stats_vol_path.py": {"test_effective_delta_dtype_and_jit_vmap",
        "test_effective_delta_keeps_put_call_parity",
        "test_effective_delta_matches_closed_form_total_derivative_and_finite_difference",
        "test_seed_effective_delta_table", "test_slope_zero_is_black_delta",
        "test_vol_beta_broadcasts_one_spot_series_against_many_vol_series",
        "test_vol_beta_recovers_slope_and_matches_ols_over_many_series"},
    "test_svi.py": {"test_arbitrage_free_ssvi_slice_has_nonnegative_g",
        "test_butterfly_check_free_slice_and_tolerance", "test_butterfly_g_is_the_density_of_black_prices",
        "test_calendar_violations", "test_jump_wings_definitions", "test_jump_wings_round_trip",
        "test_phi_heston_matches_gj_eq_4_4", "test_raw_derivatives_match_autodiff",
        "test_repair_butterfly_on_vogt", "test_ssvi_heston_butterfly_conditions",
        "test_ssvi_power_law_conditions", "test_ssvi_to_raw_equals_ssvi_total_variance",
        "test_vogt_slice_has_butterfly_arbitrage_despite_usual_bounds"},
    "test_svi_fit.py": {"test_bid_ask_loss_inside_spread", "test_butterfly_penalty_on_vogt",
        "test_calendar_pass", "test_diagnose_and_market_status", "test_fit_ssvi_recovery_and_padded_slice",
        "test_input_checks", "test_noisy_fit_beats_noise", "test_padding_does_not_matter",
        "test_recovery_noise_free", "test_recovery_wide_quotes", "test_short_dated_steep_skew_converges",
        "test_to_raw_from_raw_round_trip_and_domain"},
    "test_synthetic.py": {"test_bad_rows_one_of_each_kind_per_snapshot",
        "test_bid_ask_ivs_bracket_the_true_vol", "test_cboe_file_structure",
        "test_deterministic_byte_identical", "test_etf_premium_ar1_recovered",
        "test_expiries_and_strike_grids", "test_high_vol_front_month_regime",
        "test_mid_inside_bid_ask_except_bad_rows",
        "test_other_seed_changes_data_and_sections_are_independent", "test_params_json",
        "test_prediction_market", "test_readers_quarantine_exactly_the_bad_rows",
        "test_settlements_calendar_and_listing", "test_spot_vol_negative_correlation_and_slope",
        "test_ssvi_truth_is_arbitrage_free"},
    # Added with the merge of the notebook layer, doctests, walkthrough, policies and CLI
    # (whole-suite run, 2026-12-03): each compiles or runs a subprocess.
    "test_doctests.py": "*",
    "test_examples.py": "*",
    "test_notebook.py": "*",
    "test_mm_policies.py": {"test_fixed_spread_equal_to_symmetric_spread_gives_the_symmetric_run", "test_doctests"},
    "test_cli.py": {"test_dry_run_for_real", "test_stage_dry_run_and_report"},
}


def _is_slow(item) -> bool:
    entry = _SLOW.get(item.path.name)
    if entry is None:
        return False
    return entry == "*" or getattr(item, "originalname", item.name) in entry


def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if item.path.name in _E2E_FILES:
            item.add_marker(pytest.mark.e2e)
        if "real_data" in fixtures:
            item.add_marker(pytest.mark.realdata)
        if "gpu" in fixtures:
            item.add_marker(pytest.mark.gpu)
        if item.get_closest_marker("e2e") or _is_slow(item):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def gpu():
    """A JAX GPU device; skip where there is none (the tests run on the CPU by default)."""
    try:
        devices = jax.devices("gpu")
    except RuntimeError:
        devices = []
    if not devices:
        pytest.skip("no GPU visible to JAX (JAX_PLATFORMS=cpu by default in the tests)")
    return devices[0]
