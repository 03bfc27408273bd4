# %% [markdown]
# # 10. Hyperparameters: the knobs set before training
#
# The learning rate, layer sizes, epochs. Random search draws each trial's settings at
# random from ranges (a log scale for the learning rate), trains, and keeps the best by
# validation loss. The validation loss is drawn against each hyperparameter, and the best
# model's decision boundary on the two-circles problem.

# %%
from _walkthrough import figure, section, size

import glassnet as gn

x, y = gn.data.make_circles(size(400, 80), noise=0.1, seed=0)
x = gn.data.StandardScaler().fit_transform(x)  # mean 0, variance 1 per feature


def build(params: dict, seed) -> gn.Sequential:
    hidden = params["hidden"]
    model = gn.Sequential(
        [gn.nn.Dense(2, hidden, seed=seed), gn.nn.Tanh(), gn.nn.Dense(hidden, 2, seed=seed + 1)]
    )
    model.compile(gn.optim.Adam(lr=params["lr"]), "cross_entropy", ["accuracy"])
    return model


# %%
section("random search over the learning rate and the layer width")
space = {"lr": gn.tune.LogUniform(1e-4, 1e-1), "hidden": gn.tune.IntUniform(2, 32)}
result = gn.tune.random_search(
    build,
    space,
    n_trials=size(8, 3),
    x=x,
    y=y,
    validation_split=0.25,
    epochs=size(40, 3),
    batch_size=32,
    seed=0,
)
print(result)
best = result.best_params
score = result.best_record["best"]
print(f"best: lr={best['lr']:.3g}, hidden={best['hidden']} (val_loss {score:.4f})")

# %%
fig = gn.plot.search(result, figure("10_search.png"))
print("the validation loss against each hyperparameter → figure:", fig.glassnet_path)
fig

# %%
title = f"Best of the search: lr={best['lr']:.3g}, {best['hidden']} hidden units"
fig = gn.plot.decision_boundary(
    result.best_model, x, y, figure("10_hyperparameters.png"), title=title
)
print("figure:", fig.glassnet_path)
fig
