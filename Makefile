# seg_ext: the two commands. Both install the pinned stack into .venv first (a no-op when done).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DEMO_DATA ?= data/tgs_salt_demo
DEMO_CFG ?= configs/unet_salt_demo.py
DEMO_WORK ?= work_dirs/unet_salt_demo
export PYTHONWARNINGS ?= ignore::DeprecationWarning,ignore::UserWarning

.PHONY: install demo test test-fast lint clean-demo

install:
	@VENV=$(VENV) PYTHON=$(PYTHON) bash tools/install.sh

# generate the demo data (if absent), train a short schedule, test the best checkpoint and print
# the metric report; predictions and the loss curve are saved as images under $(DEMO_WORK); then
# predict the unlabelled test images: the Kaggle submission and overlay images
demo: install
	$(PY) tools/misc/make_demo_data.py tgs $(DEMO_DATA)
	$(PY) tools/train.py $(DEMO_CFG) --work-dir $(DEMO_WORK)
	$(PY) tools/test.py $(DEMO_CFG) $$(ls -t $(DEMO_WORK)/best_*.pth | head -1) \
		--work-dir $(DEMO_WORK) --show-dir predictions --json $(DEMO_WORK)/metrics.json
	$(PY) tools/analysis_tools/plot_curves.py $(DEMO_WORK) --out $(DEMO_WORK)/curves.png
	$(PY) tools/predict.py $(DEMO_CFG) $$(ls -t $(DEMO_WORK)/best_*.pth | head -1) \
		--input $(DEMO_DATA)/test/images --out-dir $(DEMO_WORK)/predict_test --overlay \
		--kaggle-submission $(DEMO_WORK)/submission.csv --no-progress
	@echo "report: $(DEMO_WORK)/metrics.json  images: $(DEMO_WORK)/predictions/vis_data/vis_image/  curves: $(DEMO_WORK)/curves.png"
	@echo "unlabelled test images: submission $(DEMO_WORK)/submission.csv  overlays: $(DEMO_WORK)/predict_test/overlay/  labels: $(DEMO_WORK)/predict_test/labels/"

# the suite, then the lint (what CI runs: .ci/run)
test: install
	$(PY) -m pytest tests
	$(MAKE) --no-print-directory lint

lint: install
	$(VENV)/bin/ruff check seg_ext tools tests benchmarks configs setup.py

test-fast: install
	$(PY) -m pytest tests -m "not slow"

clean-demo:
	rm -rf $(DEMO_DATA) $(DEMO_WORK)
