"""Turning executed notebooks into a report: the HTML page, the PDF and the index page.

- :mod:`peel.render.policies`: what a published page may contain (sanitising allowlists, content
  security policy);
- :mod:`peel.render.assemble`: the areas merged into one report (ids, figure numbers, print annex);
- :mod:`peel.render.page`: the report page (:func:`~peel.render.page.render_report`);
- :mod:`peel.render.pdf`: the PDF printed from the page;
- :mod:`peel.render.index`: ``OUT/index.html``, and :mod:`peel.render.overview`: ``OUT/overview.html``, both
  reading the build's records through :mod:`peel.render.built`.

The pages come from the Jinja templates in ``templates/page/`` (one layout shared by the report and
the index), which escape every value.
"""
