/** Why a GitHub event leads to nothing; answered 200 so GitHub does not show the delivery as failed. */
export interface Ignored {
  ignored: string;
}
