/** The name shown in page titles and the header. */
export const SITE_NAME = {{ cookiecutter.project_name|js_str }};
