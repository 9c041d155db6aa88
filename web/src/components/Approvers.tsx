// Who may approve a run, in words and with links: "the owners of
// checkout (members of group:default/payments), Pont’s admins or members
// of group:default/dba". The target's owner is read when the list has
// "owners".

import { Fragment } from 'react';
import { useQuery } from 'urql';
import { RunTargetDocument } from '../gql/graphql';
import { approvers, groupRef, separator, targetName } from '../lib/approvers';
import { entityPath } from '../lib/entityRef';
import { Link } from '../lib/nav';

function GroupLink({ refText }: { refText: string }) {
  const ref = groupRef(refText);
  return <Link href={entityPath(ref, 'group')}>{ref}</Link>;
}

export function ApproverList({ list, target }: { list: readonly string[]; target: string }) {
  const items = approvers(list);
  const owners = items.some((a) => a.kind === 'owners');
  const [res] = useQuery({ query: RunTargetDocument, variables: { ref: target }, pause: !owners });
  const owner = res.data?.entity?.ownerRef;
  if (items.length === 0) return <>the approvers the action’s policy names</>;
  return (
    <>
      {items.map((a, i) => (
        <Fragment key={a.kind === 'group' ? a.ref : a.kind}>
          {separator(i, items.length)}
          {a.kind === 'owners' ? (
            <>
              the owners of{' '}
              <Link href={entityPath(target)} title={target}>
                {targetName(target)}
              </Link>
              {owner && (
                <>
                  {' '}
                  (members of <GroupLink refText={owner} />)
                </>
              )}
            </>
          ) : a.kind === 'admins' ? (
            'Pont’s admins'
          ) : (
            <>
              members of <GroupLink refText={a.ref} />
            </>
          )}
        </Fragment>
      ))}
    </>
  );
}
