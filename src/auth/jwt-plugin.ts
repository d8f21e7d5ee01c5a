import type { GraphQLFieldConfigMap } from "postgraphile/graphql";

/**
 * app_public.jwt_token carries the refresh token next to the claims (one row from one SQL
 * call), but a refresh token must never travel inside the access token. This plugin:
 *  - signs the access token WITHOUT `refresh_token` (wraps PgJWTPlugin's scalar serializer);
 *  - adds `refreshToken: String` to every mutation payload whose result is the JWT type
 *    (authenticate, refreshToken, switchGym), next to the existing `jwtToken` field.
 */
export const RefreshTokenPlugin: GraphileConfig.Plugin = {
  name: "IroncladRefreshTokenPlugin",
  version: "0.1.0",
  description: "Keeps the refresh token out of the signed JWT and returns it as payload.refreshToken",
  after: ["PgJWTPlugin"],
  schema: {
    hooks: {
      GraphQLScalarType(config, _build, context) {
        if (!(context.scope as { isPgJwtType?: boolean }).isPgJwtType) return config;
        const serialize = config.serialize;
        if (!serialize) return config;
        return {
          ...config,
          serialize(value: unknown) {
            if (value && typeof value === "object") {
              const { refresh_token: _omit, ...claims } = value as Record<string, unknown>;
              return serialize(claims);
            }
            return serialize(value);
          },
        };
      },
      GraphQLObjectType_fields(fields, build, context) {
        const scope = context.scope as { isMutationPayload?: boolean; pgCodec?: unknown };
        if (!scope.isMutationPayload || !scope.pgCodec || !build.behavior.pgCodecMatches(scope.pgCodec as never, "jwt")) {
          return fields;
        }
        return build.extend(
          fields,
          {
            refreshToken: {
              type: build.graphql.GraphQLString,
              description:
                "A single-use refresh token: exchange it with the `refreshToken` mutation for a new pair before it expires.",
              plan($payload: { get(key: string): { get(attr: string): unknown } }) {
                return $payload.get("result").get("refresh_token");
              },
            },
          } as unknown as GraphQLFieldConfigMap<unknown, unknown>,
          "Ironclad refreshToken field on JWT payloads",
        );
      },
    },
  },
};
