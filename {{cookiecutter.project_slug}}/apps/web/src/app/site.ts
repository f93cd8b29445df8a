/** The name shown in page titles and the header. */
{%- set site_name = cookiecutter.project_name|js_str %}
{#- Laid out as Prettier does: a literal wider than its 120 columns goes on a line of its own. #}
{%- if ("export const SITE_NAME = " ~ site_name ~ ";")|length <= 120 %}
export const SITE_NAME = {{ site_name }};
{%- else %}
export const SITE_NAME =
  {{ site_name }};
{%- endif %}
