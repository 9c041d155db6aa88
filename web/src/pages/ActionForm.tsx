// One action's form, built from its input JSON Schema by @rjsf/core (a
// chunk of its own), then its plan, then the run. The form does no schema
// validation in the browser (the CSP forbids the eval ajv needs): the
// server checks the input on Plan and its field errors are shown on the
// fields, with a summary that links to each.

// Form itself, not @rjsf/core's index: that also exports a test helper
// importing @rjsf/validator-ajv8, which this app does not ship.
import Form, { type IChangeEvent } from '@rjsf/core/lib/components/Form.js';
import type { ErrorSchema, RJSFSchema, UiSchema, ValidatorType } from '@rjsf/utils';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useClient, useMutation } from 'urql';
import { ApproverList } from '../components/Approvers';
import { PlanView } from '../components/PlanView';
import { PlanActionDocument, RunActionDocument, type EntityActionsQuery, type PlanActionQuery } from '../gql/graphql';
import { describeError } from '../lib/errors';
import { navigate } from '../lib/nav';
import { errorTree, fieldId, fieldOrder, fieldLabel, inputProblems, serverValidator, type FieldProblem } from '../lib/schemaForm';

type Action = EntityActionsQuery['actions'][number];
type Plan = PlanActionQuery['planAction'];
type Data = Record<string, unknown>;

const validator = serverValidator as unknown as ValidatorType<Data, RJSFSchema>;

/** The schema as rjsf takes it: the server's, less what rjsf would misread. */
function formSchema(s: unknown): RJSFSchema {
  const schema = (s && typeof s === 'object' ? { ...(s as RJSFSchema) } : { type: 'object' }) as RJSFSchema;
  // The action's title is the form's heading already.
  delete schema.title;
  delete schema.$schema;
  return schema;
}

export default function ActionForm({ action, target, onCancel }: { action: Action; target: string; onCancel: () => void }) {
  const client = useClient();
  const schema = useMemo(() => formSchema(action.inputSchema), [action.inputSchema]);
  const uiSchema: UiSchema<Data, RJSFSchema> = useMemo(
    () => ({ 'ui:submitButtonOptions': { norender: true }, 'ui:order': fieldOrder(action.inputSchema) }),
    [action.inputSchema],
  );
  const [data, setData] = useState<Data>({});
  const [planning, setPlanning] = useState(false);
  const [plan, setPlan] = useState<{ plan: Plan; input: string } | null>(null);
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [failure, setFailure] = useState<string | null>(null);
  const [run, doRun] = useMutation(RunActionDocument);
  const planHeading = useRef<HTMLHeadingElement>(null);
  const summary = useRef<HTMLDivElement>(null);
  const formBox = useRef<HTMLDivElement>(null);

  // Focus what changed: the plan once it is there, the error summary when the server refused the input.
  useEffect(() => {
    if (plan) planHeading.current?.focus();
  }, [plan]);
  useEffect(() => {
    if (problems.length > 0 || failure) summary.current?.focus();
  }, [problems, failure]);
  useEffect(() => {
    formBox.current?.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }, [action.id]);

  const onChange = (e: IChangeEvent<Data, RJSFSchema>) => {
    const next = (e.formData ?? {}) as Data;
    setData(next);
    // A plan is for the input it was made with.
    if (plan && JSON.stringify(next) !== plan.input) setPlan(null);
  };

  const makePlan = async (input: Data) => {
    setPlanning(true);
    setFailure(null);
    setProblems([]);
    setPlan(null);
    const res = await client.query(PlanActionDocument, { action: action.id, target, input }, { requestPolicy: 'network-only' }).toPromise();
    setPlanning(false);
    if (res.error) {
      const p = inputProblems(res.error.graphQLErrors);
      if (p.length > 0) setProblems(p);
      else setFailure(describeError({ ...res.error, response: res.error.response as { status?: number } | undefined }).message);
      return;
    }
    if (res.data) setPlan({ plan: res.data.planAction, input: JSON.stringify(input) });
  };

  const start = async () => {
    if (!plan) return;
    const input = JSON.parse(plan.input) as Data;
    const res = await doRun({ action: action.id, target, input });
    if (res.error) {
      const p = inputProblems(res.error.graphQLErrors);
      if (p.length > 0) {
        setPlan(null);
        setProblems(p);
      } else setFailure(describeError({ ...res.error, response: res.error.response as { status?: number } | undefined }).message);
      return;
    }
    if (res.data) navigate(`/runs/${encodeURIComponent(res.data.runAction.id)}`);
  };

  const extraErrors = useMemo(() => (problems.length ? (errorTree(problems) as unknown as ErrorSchema<Data>) : undefined), [problems]);
  const headingId = `action-${action.id.replace(/[^a-z0-9]+/gi, '-')}`;

  return (
    <section className="action-form" aria-labelledby={headingId}>
      <h3 id={headingId}>{action.title}</h3>
      {action.description && <p>{action.description}</p>}
      {action.approval && (
        <p className="notice">
          Some runs of this action wait for an approver’s decision before they start (the action’s policy says which). Who may approve
          them: <ApproverList list={action.approvers} target={target} />, never the person who asked.
        </p>
      )}
      {(problems.length > 0 || failure) && (
        <div className="notice error" role="alert" tabIndex={-1} ref={summary}>
          {failure ? (
            <p>{failure}</p>
          ) : (
            <>
              <p className="state-title">Pont did not accept the input. Fix {problems.length === 1 ? 'this field' : 'these fields'}, then press Plan again:</p>
              <ul>
                {problems.map((p, i) => (
                  <li key={i}>
                    {p.field ? (
                      <a
                        href={`#${fieldId(p.field)}`}
                        onClick={(e) => {
                          const el = document.getElementById(fieldId(p.field));
                          if (el) {
                            e.preventDefault();
                            el.focus();
                          }
                        }}
                      >
                        {fieldLabel(action.inputSchema, p.field)}
                      </a>
                    ) : (
                      'Input'
                    )}
                    : {p.message}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
      <div ref={formBox} className="rjsf-box">
        <Form<Data, RJSFSchema>
          schema={schema}
          uiSchema={uiSchema}
          validator={validator}
          formData={data}
          onChange={onChange}
          onSubmit={(e) => void makePlan((e.formData ?? {}) as Data)}
          extraErrors={extraErrors}
          showErrorList={false}
          noHtml5Validate
        >
          <p className="actions">
            <button type="submit" className="button primary" disabled={planning}>
              Plan
            </button>
            <button type="button" className="button" onClick={onCancel}>
              Cancel
            </button>
            {planning && (
              <span role="status" className="muted">
                Planning…
              </span>
            )}
          </p>
        </Form>
      </div>
      {plan && (
        <div className="plan-box">
          <PlanView plan={plan.plan} headingLevel={3} headingRef={planHeading} />
          <p className="muted">Nothing has changed yet. Press Run to ask for this run.</p>
          {action.approval && (
            <p className="approvers">
              If it needs approval, it waits until one of these approves it: <ApproverList list={action.approvers} target={target} />.
              You cannot approve your own run.
            </p>
          )}
          <p className="actions">
            <button type="button" className="button primary" disabled={run.fetching} onClick={() => void start()}>
              Run
            </button>
            {run.fetching && (
              <span role="status" className="muted">
                Asking for the run…
              </span>
            )}
          </p>
        </div>
      )}
    </section>
  );
}
