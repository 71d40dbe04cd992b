/**
 * What a terraform report says beyond the counts every report has, as typed fields: views read
 * these, and nothing is looked up by a spelled-out key.
 */

/** An output whose value a summary may show: listed in `publicOutputs` and not sensitive to terraform. */
export interface ShownOutput {
  name: string;
  /** Numbers and booleans as terraform gave them; anything else as text, clipped for a card field. */
  value: string | number | boolean;
}

/** Resource counts from terraform's own result lines, never from progress lines. */
export interface TerraformChanges {
  added: number;
  changed: number;
  destroyed: number;
  /** Only when terraform imported something. */
  imported?: number;
  /** `apply`, `destroy` or `no changes`; comma-separated, with the counts summed, when the output holds several runs. */
  operation: string;
}

/** The output of `terraform apply` or `destroy`, human or `-json` stream. */
export interface TerraformRunDetails {
  format: 'terraform';
  kind: 'run';
  /** Absent when terraform failed before printing a result. */
  changes?: TerraformChanges;
  /** Public output values, in terraform's order; absent when the run printed no outputs. */
  outputs?: ShownOutput[];
}

/** The object `terraform output -json` prints. */
export interface TerraformOutputsDetails {
  format: 'terraform';
  kind: 'outputs';
  /** Every output terraform lists, shown or not. */
  count: number;
  outputs: ShownOutput[];
}

export type TerraformDetails = TerraformRunDetails | TerraformOutputsDetails;
