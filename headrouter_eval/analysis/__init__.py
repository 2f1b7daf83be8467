"""Head-behaviour analysis: the paper's selectivity heatmap and t-SNE of per-sample head vectors."""
