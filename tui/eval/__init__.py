"""The eval screen: a task set x backends x budgets, its table, plots and details."""
