"""Performance history across commits: runs added per commit, trends, step detection.

``store`` keeps each added run's selected rows keyed by commit and machine; ``detect``
finds level changes per series (ruptures' PELT on log times, with a penalty from the
series' own noise) and the open regressions; ``site`` draws the trends as static pages.
"""
