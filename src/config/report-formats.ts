/** The report parsers a step may name (`report.format`); src/reports has one parser per format. */
export type ReportFormat = 'rspec-json' | 'docker-bench' | 'junit' | 'tap' | 'terraform' | 'ansible-lint' | 'shellcheck' | 'packer' | 'lines' | 'terraform-plan';

export const REPORT_FORMATS: readonly ReportFormat[] = ['rspec-json', 'docker-bench', 'junit', 'tap', 'terraform', 'ansible-lint', 'shellcheck', 'packer', 'lines', 'terraform-plan'];
