import * as assert from "assert";
import fc from "fast-check";
import { renderTemplate } from "../../sdk/scripts/render";
import { quotedAssignment } from "../k8s/cluster";

// The k8s suite reads each node's k3s config back out of its rendered configure script.
describe("the k8s harness's reading of rendered scripts", () => {
  it("gets back exactly the value renderTemplate quoted, whatever it holds", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (config, role) => {
        const script = renderTemplate("#!/usr/bin/env bash\nROLE=@@ROLE@@\nCONFIG=@@CONFIG@@\necho\n", {
          ROLE: role,
          CONFIG: config,
        });
        assert.strictEqual(quotedAssignment(script, "CONFIG"), config);
        assert.strictEqual(quotedAssignment(script, "ROLE"), role);
      }),
    );
  });

  it("names what is missing", () => {
    assert.throws(
      () => quotedAssignment("#!/bin/bash\nX=1\n", "CONFIG"),
      /no CONFIG= in the rendered script/,
    );
  });
});
