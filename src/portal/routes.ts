/**
 * The portal's routes on `vigil serve`'s app: sign-in and sign-out here; the incidents, the files
 * (frames, snapshots, reports) and the status pages in their modules. Every page goes through
 * `signedIn` (route-kit.ts); every query and file is then held to the viewer's customer, and
 * whatever another customer owns answers exactly as what does not exist (404), so no address
 * tells one customer anything about another.
 */
import type { RouteGroup } from '../serve/app.js';
import { localPath } from './core.js';
import { fileRoutes } from './file-routes.js';
import { incidentRoutes } from './incident-routes.js';
import { bareErrorPage, signInPage } from './pages/signin.js';
import { securityHeaders, signedInWith, type PortalParts } from './route-kit.js';
import { statusRoutes } from './status-routes.js';

export function portalRoutes(p: PortalParts): RouteGroup {
  const signedIn = signedInWith(p);
  return (app) => {
    app.get('/signin', async (c) => {
      securityHeaders(c);
      return c.html(signInPage(await p.sessions.signInToken(c), localPath(c.req.query('next')), null));
    });

    app.post('/signin', async (c) => {
      securityHeaders(c);
      const form = await c.req.parseBody();
      const field = (name: string) => (typeof form[name] === 'string' ? (form[name] as string) : '');
      if (!(await p.sessions.signInTokenMatches(c, field('_csrf')))) {
        return c.html(
          bareErrorPage(403, 'This sign-in form is not from this site (its CSRF token is wrong or missing); open it again.'),
          403,
        );
      }
      const next = localPath(field('next'));
      const viewer = await p.users.signIn(field('name'), field('password'));
      if (!viewer) return c.html(signInPage(await p.sessions.signInToken(c), next, 'Wrong name or password.'), 401);
      await p.sessions.start(c, viewer.name, p.now());
      return c.redirect(next, 303);
    });

    app.post(
      '/signout',
      signedIn(async (c) => {
        p.sessions.end(c);
        return c.redirect('/signin', 303);
      }),
    );

    statusRoutes(app, p, signedIn);
    incidentRoutes(app, p, signedIn);
    fileRoutes(app, p, signedIn);
  };
}
